"""KubeletConfiguration defaults and validation. Error texts from kubernetes
pkg/kubelet/apis/config/validation/validation.go and validation_test.go; defaults from
pkg/kubelet/apis/config/v1beta1/defaults.go."""

import pytest

from pullsim.kube import KubeletConfiguration
from pullsim.kube.durations import format_go_duration, parse_go_duration

HEADER = {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration"}


def configuration(**fields):
    return KubeletConfiguration.from_dict({**HEADER, **fields})


def test_defaults():
    config = configuration()
    assert config.serializeImagePulls is True
    assert config.maxParallelImagePulls is None
    assert config.registryPullQPS == 5
    assert config.registryBurst == 10
    assert config.imageGCHighThresholdPercent == 85
    assert config.imageGCLowThresholdPercent == 80
    assert config.imageMinimumGCAge == 120.0
    assert config.imageMaximumGCAge == 0.0
    assert config.runtimeRequestTimeout == 120.0
    assert config.imagePullCredentialsVerificationPolicy == "NeverVerifyPreloadedImages"
    assert config.ignored_fields == ()


@pytest.mark.parametrize(
    ("fields", "serialize"),
    [
        ({"maxParallelImagePulls": 3}, False),
        ({"maxParallelImagePulls": 2}, False),
        ({"maxParallelImagePulls": 1}, True),
        ({"maxParallelImagePulls": 1, "serializeImagePulls": True}, True),
        ({"serializeImagePulls": False}, False),
    ],
)
def test_serialize_image_pulls_default_follows_max_parallel(fields, serialize):
    assert configuration(**fields).serializeImagePulls is serialize


def test_zero_values_that_upstream_replaces_with_defaults():
    # RegistryBurst and ImageMinimumGCAge are defaulted when zero; RegistryPullQPS is a
    # pointer, so an explicit 0 (no limit) survives.
    config = configuration(registryBurst=0, imageMinimumGCAge="0s", registryPullQPS=0)
    assert (config.registryBurst, config.imageMinimumGCAge, config.registryPullQPS) == (10, 120, 0)


def test_durations_are_seconds():
    config = configuration(imageMinimumGCAge="1h30m", imageMaximumGCAge="36h")
    assert config.imageMinimumGCAge == 5400.0
    assert config.imageMaximumGCAge == 129600.0


# validation_test.go TestValidateKubeletConfiguration, image-related cases
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"imageGCHighThresholdPercent": 101},
            "invalid configuration: imageGCHighThresholdPercent (--image-gc-high-threshold) 101 "
            "must be between 0 and 100, inclusive",
        ),
        (
            {"imageGCLowThresholdPercent": -1},
            "invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) -1 "
            "must be between 0 and 100, inclusive",
        ),
        (
            {"imageGCHighThresholdPercent": 0, "imageGCLowThresholdPercent": 0},
            "invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) 0 must "
            "be less than imageGCHighThresholdPercent (--image-gc-high-threshold) 0",
        ),
        (
            {"imageGCHighThresholdPercent": 0, "imageGCLowThresholdPercent": 1},
            "invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) 1 must "
            "be less than imageGCHighThresholdPercent (--image-gc-high-threshold) 0",
        ),
        (
            {"imageGCHighThresholdPercent": 85, "imageGCLowThresholdPercent": 85},
            "invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) 85 must "
            "be less than imageGCHighThresholdPercent (--image-gc-high-threshold) 85",
        ),
        (
            {"registryBurst": -1},
            "invalid configuration: registryBurst (--registry-burst) -1 must not be a negative "
            "number",
        ),
        (
            {"registryPullQPS": -1},
            "invalid configuration: registryPullQPS (--registry-qps) -1 must not be a negative "
            "number",
        ),
        (
            {"maxParallelImagePulls": 0},
            "invalid configuration: maxParallelImagePulls 0 must be a positive number",
        ),
        (
            {"maxParallelImagePulls": 3, "serializeImagePulls": True},
            "invalid configuration: maxParallelImagePulls cannot be larger than 1 unless "
            "SerializeImagePulls (--serialize-image-pulls) is set to false",
        ),
        (
            {"featureGates": {"ImageMaximumGCAge": False}, "imageMaximumGCAge": "3m"},
            "invalid configuration: ImageMaximumGCAge feature gate is required for Kubelet "
            "configuration option imageMaximumGCAge",
        ),
        (
            {"imageMaximumGCAge": "-1ns"},
            "invalid configuration: imageMaximumGCAge -1ns must not be negative",
        ),
        (
            {"imageMaximumGCAge": "1ns", "imageMinimumGCAge": "2ns"},
            "invalid configuration: imageMaximumGCAge 1ns must be greater than "
            "imageMinimumGCAge 2ns",
        ),
        (
            {"imageMaximumGCAge": "1m"},
            "invalid configuration: imageMaximumGCAge 1m0s must be greater than "
            "imageMinimumGCAge 2m0s",
        ),
        (
            {"imagePullCredentialsVerificationPolicy": "Sometimes"},
            'invalid configuration: option "Sometimes" specified for '
            'imagePullCredentialsVerificationPolicy. Valid options are "NeverVerify", '
            '"NeverVerifyPreloadedImages", "NeverVerifyAllowlistedImages" or "AlwaysVerify"',
        ),
        (
            {"preloadedImagesVerificationAllowlist": ["registry.k8s.io/pause"]},
            "invalid configuration: can't set `preloadedImagesVerificationAllowlist` if "
            '`imagePullCredentialsVertificationPolicy` is not "NeverVerifyAllowlistedImages"',
        ),
        (
            {
                "imagePullCredentialsVerificationPolicy": "NeverVerifyAllowlistedImages",
                "preloadedImagesVerificationAllowlist": ["registry.k8s.io/pause:3.10"],
            },
            "invalid configuration: invalid image pattern in "
            "`preloadedImagesVerificationAllowlist`: neither tag nor digest is accepted in an "
            "image reference: registry.k8s.io/pause:3.10",
        ),
        (
            {
                "featureGates": {"KubeletEnsureSecretPulledImages": False},
                "imagePullCredentialsVerificationPolicy": "AlwaysVerify",
            },
            "invalid configuration: `imagePullCredentialsVerificationPolicy` must not be set if "
            "KubeletEnsureSecretPulledImages feature gate is not enabled",
        ),
    ],
)
def test_invalid_configurations_carry_the_kubelets_message(fields, message):
    with pytest.raises(ValueError) as raised:
        configuration(**fields)
    assert str(raised.value) == message


def test_several_errors_are_aggregated_like_apimachinery():
    with pytest.raises(ValueError) as raised:
        configuration(registryBurst=-1, registryPullQPS=-1)
    assert str(raised.value) == (
        "[invalid configuration: registryBurst (--registry-burst) -1 must not be a negative "
        "number, invalid configuration: registryPullQPS (--registry-qps) -1 must not be a "
        "negative number]"
    )


def test_valid_max_parallel_one_with_serialize():
    # validation_test.go "valid MaxParallelImagePulls and SerializeImagePulls combination"
    config = configuration(maxParallelImagePulls=1, serializeImagePulls=True)
    assert config.maxParallelImagePulls == 1


def test_allowlist_policy_accepts_names_and_wildcards():
    config = configuration(
        imagePullCredentialsVerificationPolicy="NeverVerifyAllowlistedImages",
        preloadedImagesVerificationAllowlist=["registry.k8s.io/pause", "quay.io/org/*"],
    )
    assert config.preloadedImagesVerificationAllowlist == ("registry.k8s.io/pause", "quay.io/org/*")


def test_gate_off_leaves_policy_empty():
    config = configuration(featureGates={"KubeletEnsureSecretPulledImages": False})
    assert config.imagePullCredentialsVerificationPolicy == ""
    assert config.ensure_secret_pulled_images is False


def test_unmodelled_schema_fields_are_listed_not_rejected():
    config = configuration(port=10250, cgroupDriver="systemd", maxPods=250)
    assert config.ignored_fields == ("port", "cgroupDriver", "maxPods")
    assert config.ignored_values["maxPods"] == 250


def test_unknown_field_is_an_error_naming_it():
    with pytest.raises(ValueError, match='unknown field "serialiseImagePulls"'):
        configuration(serialiseImagePulls=False)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"apiVersion": "kubelet.config.k8s.io/v1alpha1"}, "apiVersion"),
        ({"kind": "KubeProxyConfiguration"}, "kind"),
    ],
)
def test_wrong_type_meta_is_rejected(header, message):
    with pytest.raises(ValueError, match=message):
        KubeletConfiguration.from_dict({**HEADER, **header})


def test_from_yaml_and_frozen():
    config = KubeletConfiguration.from_yaml(
        "apiVersion: kubelet.config.k8s.io/v1beta1\n"
        "kind: KubeletConfiguration\n"
        "serializeImagePulls: false\n"
        "maxParallelImagePulls: 5\n"
        "registryPullQPS: 10\n"
        "registryBurst: 20\n"
    )
    assert (config.serializeImagePulls, config.maxParallelImagePulls) == (False, 5)
    assert (config.registryPullQPS, config.registryBurst) == (10, 20)
    with pytest.raises(ValueError):
        config.registryBurst = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.featureGates["X"] = True  # type: ignore[index]


def test_bad_duration_names_the_field():
    with pytest.raises(ValueError, match='imageMinimumGCAge: time: missing unit in duration "5"'):
        configuration(imageMinimumGCAge="5")


@pytest.mark.parametrize(
    ("text", "nanoseconds", "formatted"),
    [
        ("2m", 120 * 10**9, "2m0s"),
        ("1h30m", 5400 * 10**9, "1h30m0s"),
        ("1.5s", 1_500_000_000, "1.5s"),
        ("300ms", 300_000_000, "300ms"),
        ("1500us", 1_500_000, "1.5ms"),
        ("-1ns", -1, "-1ns"),
        ("0", 0, "0s"),
        ("90s", 90 * 10**9, "1m30s"),
    ],
)
def test_go_durations(text, nanoseconds, formatted):
    assert parse_go_duration(text) == nanoseconds
    assert format_go_duration(nanoseconds) == formatted
