"""KEP-2535 decisions (pkg/kubelet/images/image_manager.go EnsureImageExists,
pullmanager/image_pull_manager.go MustAttemptImagePull, image_pull_policies.go)."""

import pytest

from pullsim.kube import (
    ImagePullRecord,
    PresentImageDecision,
    PullSecretCoordinates,
    Secret,
    decide_present_image,
)
from pullsim.kube.ensure_secret_pulled import record_after_pull, requires_credential_verification

PULL = PresentImageDecision.PULL
USE = PresentImageDecision.USE_PRESENT
NEVER = PresentImageDecision.NEVER_PULL_ERROR
IMAGE = "10.202.43.240:5000/app:v1"
IMAGES = PullSecretCoordinates("default", "images", "uid-1", "hash-1")
OTHER = PullSecretCoordinates("team-b", "other", "uid-2", "hash-2")
PULLED_WITH_IMAGES = ImagePullRecord(kubernetes_secrets=frozenset({IMAGES}))
PULLED_ANONYMOUSLY = ImagePullRecord(node_pods_accessible=True)


def decide(policy="NeverVerifyPreloadedImages", gate=True, pull_policy="IfNotPresent", **kw):
    defaults = dict(image=IMAGE, image_present=True, pulled_by_kubelet=True, record=None)
    defaults.update(kw)
    return decide_present_image(
        pull_policy=pull_policy, feature_gate_enabled=gate, policy=policy, **defaults
    )


@pytest.mark.parametrize("gate", [True, False])
def test_always_pulls_and_absent_images_follow_the_policy(gate):
    assert decide(gate=gate, pull_policy="Always", record=PULLED_ANONYMOUSLY) is PULL
    assert decide(gate=gate, image_present=False) is PULL
    assert decide(gate=gate, pull_policy="Never", image_present=False) is NEVER


@pytest.mark.parametrize("pull_policy", ["IfNotPresent", "Never"])
def test_gate_off_any_pod_uses_a_present_private_image(pull_policy):
    assert decide(gate=False, pull_policy=pull_policy, pod_pull_secrets=()) is USE


# (policy, pulled by kubelet, record, pod secrets) -> IfNotPresent outcome; Never fails instead
TABLE = [
    ("NeverVerify", True, PULLED_WITH_IMAGES, (), USE),
    ("NeverVerify", False, None, (), USE),
    ("NeverVerifyPreloadedImages", False, None, (), USE),
    ("NeverVerifyPreloadedImages", True, PULLED_WITH_IMAGES, (), PULL),
    ("NeverVerifyPreloadedImages", True, PULLED_WITH_IMAGES, (IMAGES,), USE),
    ("NeverVerifyPreloadedImages", True, PULLED_WITH_IMAGES, (OTHER,), PULL),
    ("NeverVerifyPreloadedImages", True, PULLED_ANONYMOUSLY, (), USE),
    ("NeverVerifyPreloadedImages", True, None, (IMAGES,), PULL),
    ("AlwaysVerify", False, None, (), PULL),
    ("AlwaysVerify", True, PULLED_ANONYMOUSLY, (), USE),
    ("AlwaysVerify", True, PULLED_WITH_IMAGES, (IMAGES,), USE),
    ("AlwaysVerify", True, PULLED_WITH_IMAGES, (), PULL),
    ("NeverVerifyAllowlistedImages", False, None, (), PULL),
    ("NeverVerifyAllowlistedImages", True, PULLED_WITH_IMAGES, (IMAGES,), USE),
]


@pytest.mark.parametrize(("policy", "by_kubelet", "record", "secrets", "expected"), TABLE)
def test_decision_table(policy, by_kubelet, record, secrets, expected):
    arguments = dict(pulled_by_kubelet=by_kubelet, record=record, pod_pull_secrets=secrets)
    assert decide(policy, **arguments) is expected
    never_expected = NEVER if expected is PULL else USE
    assert decide(policy, pull_policy="Never", **arguments) is never_expected


def test_allowlist_exempts_listed_images_even_if_pulled_by_kubelet():
    allowlist = ("10.202.43.240:5000/app",)
    assert (
        decide("NeverVerifyAllowlistedImages", record=PULLED_WITH_IMAGES, allowlist=allowlist)
        is USE
    )
    assert (
        decide(
            "NeverVerifyAllowlistedImages",
            allowlist=("10.202.43.240:5000/*",),
            pulled_by_kubelet=False,
        )
        is USE
    )
    assert decide("NeverVerifyAllowlistedImages", allowlist=("10.202.43.240:5000/ap",)) is PULL


def test_rotated_secret_matches_by_coordinates_and_copy_by_hash():
    rotated = PullSecretCoordinates("default", "images", "uid-1", "hash-new")
    copied = PullSecretCoordinates("team-b", "copy", "uid-9", "hash-1")
    assert decide(record=PULLED_WITH_IMAGES, pod_pull_secrets=(rotated,)) is USE
    assert decide(record=PULLED_WITH_IMAGES, pod_pull_secrets=(copied,)) is USE


def test_unknown_policy_is_an_error():
    with pytest.raises(ValueError, match="unknown image pull credential verification policy"):
        requires_credential_verification("Sometimes", IMAGE, True)


def test_records_after_pulls():
    assert record_after_pull(None, None) == PULLED_ANONYMOUSLY
    assert record_after_pull(None, IMAGES) == PULLED_WITH_IMAGES
    both = record_after_pull(PULLED_WITH_IMAGES, OTHER)
    assert both.kubernetes_secrets == {IMAGES, OTHER}
    assert record_after_pull(PULLED_ANONYMOUSLY, OTHER) == PULLED_ANONYMOUSLY


def test_secret_coordinates_hash_the_credentials():
    one = PullSecretCoordinates.of(Secret.docker_config_json("images", '{"auths": {}}'))
    same = PullSecretCoordinates.of(Secret.docker_config_json("copy", '{"auths": {}}'))
    assert one.credential_hash == same.credential_hash != ""
    assert (one.namespace, one.name) == ("default", "images")
