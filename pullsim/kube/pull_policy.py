"""Image pull policies and their defaulting.

Sources (kubernetes/kubernetes): ``pkg/apis/core/v1/defaults.go`` SetDefaults_Container (an
empty imagePullPolicy becomes ``Always`` when the tag ParseImageName reports is ``latest``,
otherwise ``IfNotPresent``), ``pkg/util/parsers/parsers.go`` ParseImageName (the tag is
``latest`` only when the reference has neither tag nor digest; an unparseable reference yields no
tag, hence ``IfNotPresent``) and ``pkg/kubelet/images/image_manager.go`` shouldPullImage.
"""

from __future__ import annotations

from enum import StrEnum

from pullsim.kube.reference import InvalidImageName, parse_image_ref


class PullPolicy(StrEnum):
    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"


PULL_POLICIES = tuple(policy.value for policy in PullPolicy)


def default_pull_policy(image: str) -> PullPolicy:
    """The policy SetDefaults_Container gives a container whose imagePullPolicy is empty."""
    try:
        reference = parse_image_ref(image)
    except InvalidImageName:
        # SetDefaults_Container ignores the parse error; the kubelet fails the container later.
        return PullPolicy.IF_NOT_PRESENT
    # Case-sensitive on purpose: "LATEST" is an ordinary tag upstream.
    if reference.tag_or_default == "latest":
        return PullPolicy.ALWAYS
    return PullPolicy.IF_NOT_PRESENT


def should_pull_image(policy: PullPolicy | str, image_present: bool) -> bool:
    """Whether the policy asks the runtime to pull, before any KEP-2535 credential check."""
    policy = PullPolicy(policy)
    if policy is PullPolicy.ALWAYS:
        return True
    if policy is PullPolicy.IF_NOT_PRESENT:
        return not image_present
    return False
