"""Image reference normalisation; vectors from distribution/reference normalize_test.go,
reference_test.go and kubernetes pkg/util/parsers/parsers_test.go."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pullsim.kube import InvalidImageName, parse_image_ref
from pullsim.kube.reference import PATH_COMPONENT_PATTERN, TAG_PATTERN

SHA = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# distribution/reference normalize_test.go TestNormalizedSplitHostname
@pytest.mark.parametrize(
    ("image", "registry", "repository"),
    [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        # KUBELET.md and the seed's registry
        ("127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase"),
        ("10.202.43.240:5000/app:v1", "10.202.43.240:5000", "app"),
        ("index.docker.io/library/debian", "docker.io", "library/debian"),
        ("localhost/foo", "localhost", "foo"),
        ("Foo/bar", "Foo", "bar"),
        ("[fc00::1]:5000/docker", "[fc00::1]:5000", "docker"),
    ],
)
def test_registry_and_repository_follow_normalisation(image, registry, repository):
    reference = parse_image_ref(image)
    assert (reference.registry, reference.repository) == (registry, repository)


# normalize_test.go TestParseRepositoryInfo: familiar and full names agree
@pytest.mark.parametrize(
    ("familiar", "full"),
    [
        ("fooo/bar", "docker.io/fooo/bar"),
        ("ubuntu", "docker.io/library/ubuntu"),
        ("other/library", "docker.io/other/library"),
        ("127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase"),
        ("example.com:8000/privatebasee", "example.com:8000/privatebasee"),
        ("ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base"),
        ("library/foo/bar", "docker.io/library/foo/bar"),
        ("Foo/bar", "Foo/bar"),
    ],
)
def test_familiar_and_full_names(familiar, full):
    for text in (familiar, full):
        reference = parse_image_ref(text)
        assert reference.familiar == familiar
        assert reference.canonical == full


def test_tag_and_digest_together_keep_both():
    # normalize_test.go TestParseReferenceWithTagAndDigest
    short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
    reference = parse_image_ref(short)
    assert reference.canonical == "docker.io/library/" + short
    assert reference.familiar == short
    assert reference.tag == "latest"
    assert reference.digest.startswith("sha256:86e0")


# pkg/util/parsers/parsers_test.go TestParseImageName
@pytest.mark.parametrize(
    ("image", "name", "tag", "digest"),
    [
        ("root", "docker.io/library/root", "latest", None),
        ("root:tag", "docker.io/library/root", "tag", None),
        (f"root@{SHA}", "docker.io/library/root", None, SHA),
        ("user/repo", "docker.io/user/repo", "latest", None),
        ("user/repo:tag", "docker.io/user/repo", "tag", None),
        (f"user/repo@{SHA}", "docker.io/user/repo", None, SHA),
        ("url:5000/repo", "url:5000/repo", "latest", None),
        ("url:5000/repo:tag", "url:5000/repo", "tag", None),
        (f"url:5000/repo@{SHA}", "url:5000/repo", None, SHA),
        (f"url:5000/repo:latest@{SHA}", "url:5000/repo", "latest", SHA),
    ],
)
def test_parse_image_name_vectors(image, name, tag, digest):
    reference = parse_image_ref(image)
    assert (reference.name, reference.tag_or_default, reference.digest) == (name, tag, digest)


def test_absent_tag_and_digest_are_none():
    reference = parse_image_ref("busybox")
    assert reference.tag is None and reference.digest is None


@pytest.mark.parametrize(
    "image",
    [
        # normalize_test.go TestValidateReferenceName / TestValidateRemoteName (invalid)
        "https://github.com/docker/docker",
        "docker/Docker",
        "-docker",
        "-docker/docker",
        "-docker.io/docker/docker",
        "docker///docker",
        "docker.io/docker/Docker",
        "[fc00::1]",
        "[fc00::1]:5000",
        "fc00::1:5000/debian",
        "[fe80::1%eth0]:5000/debian",
        "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        "docker-/docker",
        "____/____",
        "dock..er/docker",
        "docker/",
        "Busybox",
        "",
        ":justtag",
        "validname@invaliddigest:" + "f" * 64,
        "repo@sha256:" + "f" * 63,
        "foo:" + "a" * 129,
        "a/" * 128 + "a",
    ],
)
def test_invalid_references_raise_invalid_image_name(image):
    with pytest.raises(InvalidImageName) as raised:
        parse_image_ref(image)
    assert isinstance(raised.value, ValueError)
    assert type(raised.value).__name__ == "InvalidImageName"


@pytest.mark.parametrize(
    "image",
    [
        "docker/docker",
        "192.168.0.1",
        "192.168.0.1:80",
        "192.168.0.2:25000/debian",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        "DOCKER/docker",
        "docker---rules/docker",
        "dock__er/docker",
        "d/docker",
        "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + "f" * 128,
    ],
)
def test_valid_references_parse(image):
    parse_image_ref(image)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (
            "Busybox",
            'couldn\'t parse image name "Busybox": invalid reference format: '
            "repository name (library/Busybox) must be lowercase",
        ),
        (
            "-foo",
            'couldn\'t parse image name "-foo": invalid reference format',
        ),
        (
            "validname@invaliddigest:" + "f" * 64,
            f'couldn\'t parse image name "validname@invaliddigest:{"f" * 64}": '
            "unsupported digest algorithm",
        ),
    ],
)
def test_invalid_image_name_messages_are_the_kubelets(image, message):
    with pytest.raises(InvalidImageName, match="^") as raised:
        parse_image_ref(image)
    assert str(raised.value) == message


_registries = st.sampled_from(
    ["docker.io", "quay.io", "10.202.43.240:5000", "localhost", "localhost:5000", "[fc00::1]:80"]
)
_components = st.from_regex(f"^{PATH_COMPONENT_PATTERN}$", fullmatch=True).filter(
    lambda component: len(component) <= 30
)
_tags = st.none() | st.from_regex(f"^{TAG_PATTERN}$", fullmatch=True).filter(str.isascii)
_digests = st.none() | st.just(SHA)


@given(_registries, st.lists(_components, min_size=1, max_size=3), _tags, _digests)
def test_string_forms_round_trip(registry, components, tag, digest):
    repository = "/".join(components)
    if registry == "docker.io" and "/" not in repository:
        repository = "library/" + repository
    text = (
        f"{registry}/{repository}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    )
    reference = parse_image_ref(text)
    assert reference.canonical == text
    # A Docker Hub namespace with a dot reads as a host in familiar form ("0.0/x"), upstream too.
    if registry != "docker.io" or "." not in repository.split("/")[0]:
        assert parse_image_ref(reference.familiar) == reference
    assert parse_image_ref(str(reference)) == reference
