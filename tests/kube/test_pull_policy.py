"""Pull-policy defaulting: pkg/apis/core/v1/defaults.go SetDefaults_Container with
pkg/util/parsers ParseImageName (cases from KUBELET.md section 1)."""

import pytest

from pullsim.kube import default_pull_policy, should_pull_image

DIGEST = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("busybox", "Always"),
        ("busybox:latest", "Always"),
        ("busybox:1.36", "IfNotPresent"),
        (f"busybox@{DIGEST}", "IfNotPresent"),
        (f"busybox:latest@{DIGEST}", "Always"),
        ("busybox:LATEST", "IfNotPresent"),
        ("Busybox", "IfNotPresent"),
        ("", "IfNotPresent"),
        ("10.202.43.240:5000/app:v1", "IfNotPresent"),
        ("10.202.43.240:5000/app", "Always"),
        ("localhost:5000/app:latest", "Always"),
    ],
)
def test_default_pull_policy(image, policy):
    assert default_pull_policy(image) == policy


@pytest.mark.parametrize(
    ("policy", "present", "pull"),
    [
        ("Always", True, True),
        ("Always", False, True),
        ("IfNotPresent", True, False),
        ("IfNotPresent", False, True),
        ("Never", True, False),
        ("Never", False, False),
    ],
)
def test_should_pull_image(policy, present, pull):
    assert should_pull_image(policy, present) is pull
