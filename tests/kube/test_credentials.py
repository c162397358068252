"""Keyring matching and lookups; vectors from kubernetes pkg/credentialprovider/keyring_test.go
(TestUrlsMatch, TestDockerKeyringForGlob, TestKeyringMiss, TestKeyringHitWith*DockerHub,
TestIsDefaultRegistryMatch) and config.go decoding."""

import base64
import json

import pytest

from pullsim.kube import Keyring, Secret, pull_credentials, retrieve_pull_secrets, urls_match
from pullsim.kube.credentials import PullSecretError, is_default_registry_match, keyring_key


def auth(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def keyring_for(location: str, username: str = "foo", password: str = "bar") -> Keyring:
    return Keyring.from_dockercfg(
        {location: {"email": "foo@bar.baz", "auth": auth(username, password)}}
    )


@pytest.mark.parametrize(
    ("glob", "target", "expected"),
    [
        ("*.kubernetes.io", "prefix.kubernetes.io", True),
        ("prefix.*.io", "prefix.kubernetes.io", True),
        ("prefix.kubernetes.*", "prefix.kubernetes.io", True),
        ("*-good.kubernetes.io", "prefix-good.kubernetes.io", True),
        ("*.kubernetes.io/blah", "prefix.kubernetes.io/blah", True),
        ("prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", True),
        ("*.kubernetes.io:1111/blah", "prefix.kubernetes.io:1111/blah", True),
        ("prefix.*.io:1111/foo", "prefix.kubernetes.io:1111/foo/bar", True),
        ("*.kubernetes.io", "kubernetes.io", False),
        ("*.*.kubernetes.io", "prefix.kubernetes.io", False),
        ("*.*.kubernetes.io", "kubernetes.io", False),
        ("kubernetes.io", "kubernetes.com", False),
        ("k*.io", "quay.io", False),
        ("*.kubernetes.io:1234/blah", "prefix.kubernetes.io:1111/blah", False),
        ("prefix.*.io/foo", "prefix.kubernetes.io:1111/foo/bar", False),
        # the key path is a plain string prefix (KUBELET.md section 7)
        ("bar.example.com/pong", "bar.example.com/pongz", True),
    ],
)
def test_urls_match(glob, target, expected):
    assert urls_match(glob, target) is expected


@pytest.mark.parametrize(
    ("location", "target"),
    [
        ("https://hello.kubernetes.io", "hello.kubernetes.io"),
        ("https://*.docker.io", "prefix.docker.io"),
        ("https://prefix.*.io", "prefix.docker.io"),
        ("https://prefix.docker.*", "prefix.docker.io"),
        ("https://*.docker.io/path", "prefix.docker.io/path"),
        ("https://prefix.*.io/path", "prefix.docker.io/path/subpath"),
        ("https://prefix.docker.*/path", "prefix.docker.io/path"),
        ("https://*.docker.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.*.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.docker.*:8888", "prefix.docker.io:8888"),
        ("https://*.docker.io/path:1111", "prefix.docker.io/path:1111"),
        ("https://*.docker.io/v1/", "prefix.docker.io/path:1111"),
        ("https://*.docker.io/v2/", "prefix.docker.io/path:1111"),
        ("https://prefix.docker.*/path:1111", "prefix.docker.io/path:1111"),
        ("prefix.docker.io:1111", "prefix.docker.io:1111/path"),
        ("*.docker.io:1111", "prefix.docker.io:1111/path"),
    ],
)
def test_keyring_for_glob(location, target):
    credentials = keyring_for(location).lookup_repository(target + "/foo/bar")
    assert credentials, location
    assert (credentials[0].username, credentials[0].password) == ("foo", "bar")
    assert credentials[0].email == "foo@bar.baz"


@pytest.mark.parametrize(
    ("location", "lookup"),
    [
        ("https://hello.kubernetes.io", "world.mesos.org/foo/bar"),
        ("https://*.docker.com", "prefix.docker.io"),
        ("https://suffix.*.io", "prefix.docker.io"),
        ("https://prefix.docker.c*", "prefix.docker.io"),
        ("https://prefix.*.io/path:1111", "prefix.docker.io/path/subpath:1111"),
        ("suffix.*.io", "prefix.docker.io"),
    ],
)
def test_keyring_miss(location, lookup):
    assert keyring_for(location).lookup_repository(lookup + "/foo/bar") == ()


def test_docker_hub_credentials_do_not_leak_to_other_registries():
    # TestKeyringMissWithDockerHubCredentials
    assert (
        keyring_for("https://index.docker.io/v1/").lookup_repository("world.mesos.org/foo/bar")
        == ()
    )


@pytest.mark.parametrize(
    "name", ["google/docker-registry", "jenkins", "index.docker.io/v1//google/docker-registry"]
)
def test_docker_hub_fallback(name):
    # TestKeyringHitWithUnqualifiedDockerHub, ...UnqualifiedLibraryDockerHub, ...QualifiedDockerHub
    credentials = keyring_for("https://index.docker.io/v1/").lookup_repository(name)
    assert len(credentials) == 1 and credentials[0].username == "foo"


def test_docker_hub_fallback_for_normalised_image():
    # The kubelet looks up docker.io/library/busybox; only the fallback covers it.
    credentials = keyring_for("https://index.docker.io/v1/").lookup("busybox:1.36")
    assert [credential.username for credential in credentials] == ["foo"]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("foo/bar", True),
        ("docker.io/foo/bar", True),
        ("index.docker.io/foo/bar", True),
        ("foo", True),
        ("", False),
        ("registry.tld/foo/bar", False),
        ("registry:5000/foo/bar", False),
        ("myhostdocker.io/foo/bar", False),
    ],
)
def test_is_default_registry_match(image, expected):
    assert is_default_registry_match(image) is expected


@pytest.mark.parametrize(
    ("location", "key"),
    [
        ("https://quay.io/v2/", "quay.io"),
        ("http://quay.io/v1/", "quay.io"),
        ("quay.io/coreos", "quay.io/coreos"),
        ("10.202.43.240:5000", "10.202.43.240:5000"),
        ("https://index.docker.io/v1/", "index.docker.io"),
    ],
)
def test_keys_drop_scheme_and_api_version(location, key):
    assert keyring_key(location) == key


def test_all_matches_most_specific_first():
    keyring = Keyring.from_dockerconfigjson(
        {
            "auths": {
                "quay.io": {"auth": auth("host", "p1")},
                "quay.io/coreos": {"auth": auth("namespace", "p2")},
                "quay.io/coreos/etcd": {"auth": auth("repository", "p3")},
                "*.io": {"auth": auth("glob", "p4")},
            }
        }
    )
    usernames = [credential.username for credential in keyring.lookup("quay.io/coreos/etcd:v3")]
    assert usernames == ["repository", "namespace", "host", "glob"]


def test_username_password_fields_and_unpadded_auth():
    raw_unpadded = base64.b64encode(b"a:b").decode().rstrip("=")  # "YTpi" has no padding anyway
    keyring = Keyring.from_dockerconfigjson(
        json.dumps(
            {
                "auths": {
                    "one.example": {"username": "u1", "password": "p1"},
                    "two.example": {"auth": base64.b64encode(b"u2:p2").decode().rstrip("=")},
                    "three.example": {"auth": raw_unpadded, "username": "ignored"},
                }
            }
        )
    )
    assert keyring.lookup("one.example/x")[0].username == "u1"
    assert keyring.lookup("two.example/x")[0].password == "p2"
    assert keyring.lookup("three.example/x")[0].username == "a"


def test_auth_without_colon_is_rejected_without_showing_it():
    secret_text = base64.b64encode(b"no-colon-hunter2").decode()
    with pytest.raises(PullSecretError) as raised:
        Keyring.from_dockerconfigjson({"auths": {"r.example": {"auth": secret_text}}})
    assert "base64(username:password)" in str(raised.value)
    assert secret_text not in str(raised.value) and "hunter2" not in str(raised.value)


SEED_REGISTRY = "10.202.43.240:5000"
SEED_PASSWORD = "s3cr3t-Passw0rd"
SEED_AUTH = auth("admin", SEED_PASSWORD)


def seed_secret() -> Secret:
    return Secret.docker_config_json(
        "images", json.dumps({"auths": {SEED_REGISTRY: {"auth": SEED_AUTH}}})
    )


def test_seed_secret_resolves_the_private_image():
    credentials = pull_credentials("10.202.43.240:5000/app:v1", [seed_secret()])
    assert [credential.username for credential in credentials] == ["admin"]
    assert credentials[0].source.secret_name == "images"
    assert pull_credentials("10.202.43.240:5000/app:v1", []) == ()
    # Another port on the same host is another registry.
    assert pull_credentials("10.202.43.240:5001/app:v1", [seed_secret()]) == ()


def test_pod_secrets_come_before_node_credentials():
    node = Keyring.from_dockerconfigjson({"auths": {SEED_REGISTRY: {"auth": auth("node", "x")}}})
    credentials = pull_credentials("10.202.43.240:5000/app:v1", [seed_secret()], node)
    assert [credential.username for credential in credentials] == ["admin", "node"]
    assert credentials[1].source.is_node


def test_dockercfg_secret_type():
    secret = Secret(
        name="legacy",
        type="kubernetes.io/dockercfg",
        data={".dockercfg": json.dumps({SEED_REGISTRY: {"auth": SEED_AUTH}}).encode()},
    )
    assert Keyring.from_secret(secret).lookup("10.202.43.240:5000/app")[0].username == "admin"


def test_other_secret_types_are_ignored():
    secret = Secret(name="opaque", data={".dockerconfigjson": b'{"auths": {}}'})
    assert len(Keyring.from_secret(secret)) == 0


def test_secrets_never_appear_in_repr_or_str():
    keyring = Keyring.from_secret(seed_secret())
    credential = keyring.lookup("10.202.43.240:5000/app:v1")[0]
    for text in (repr(credential), str(credential), repr(keyring), repr(seed_secret())):
        assert SEED_PASSWORD not in text
        assert SEED_AUTH not in text
    assert "admin" in repr(credential)


def test_malformed_secret_error_names_the_secret_not_its_content():
    broken = Secret.docker_config_json("images", '{"auths": {"r.example": {"auth": "%%%"}}}')
    with pytest.raises(PullSecretError) as raised:
        Keyring.from_secret(broken)
    assert "pull secret default/images" in str(raised.value)
    assert "%%%" not in str(raised.value)


def test_missing_pull_secret_gives_the_kubelet_warning():
    retrieved = retrieve_pull_secrets("default", ["images", "", "gone"], [seed_secret()])
    assert [secret.name for secret in retrieved.secrets] == ["images"]
    assert retrieved.missing == ("gone",)
    assert retrieved.warning_message == (
        "Unable to retrieve some image pull secrets (gone); attempting to pull the image may "
        "not succeed."
    )
    assert retrieve_pull_secrets("other", ["images"], [seed_secret()]).missing == ("images",)
