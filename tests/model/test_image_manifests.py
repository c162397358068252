"""Reading images from manifests as ``skopeo inspect --raw`` / ``crane manifest`` print them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pullsim.model import (
    Codec,
    ImageManifestError,
    Platform,
    image_from_layers,
    read_image,
)

DATA = Path(__file__).parent / "data"


def sha256_of(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_oci_manifest():
    path = DATA / "oci-manifest.json"
    image = read_image(path, "docker.io/library/python:3.12-slim", compression_ratio=2.5)
    assert image.digest == sha256_of(path)
    assert image.index_digest is None
    assert [layer.size for layer in image.layers] == [28233541, 3511832, 12846031, 249]
    assert [layer.codec for layer in image.layers] == [
        Codec.GZIP,
        Codec.GZIP,
        Codec.ZSTD,
        Codec.GZIP,
    ]
    assert image.layers[0].uncompressed_size == 28233541 * 2.5
    assert image.config_size == 7654
    assert image.size == 28233541 + 3511832 + 12846031 + 249 + 7654


def test_docker_v2_manifest_from_text():
    path = DATA / "docker-v2-manifest.json"
    image = read_image(path.read_text(), "docker.io/library/busybox:1.36")
    (layer,) = image.layers
    assert layer.media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip"
    assert layer.size == 2152262 and layer.uncompressed_size == 2152262 * 3.0
    assert image.digest == sha256_of(path)  # text keeps the exact bytes


@pytest.mark.parametrize(
    ("platform", "base_size"),
    [
        (Platform("linux", "amd64"), 31415926),
        (Platform("linux", "arm64"), 30123456),  # arm64 is arm64/v8
        (Platform("linux", "arm64", "v8"), 30123456),
        (Platform("linux", "arm"), 27182818),  # arm is arm/v7
    ],
)
def test_index_chooses_the_node_platform(platform, base_size):
    index = DATA / "oci-index.json"
    image = read_image(
        index, "docker.io/library/nginx:1.27", platform=platform, manifests=DATA / "index-manifests"
    )
    assert image.index_digest == sha256_of(index)
    assert image.layers[0].size == base_size
    chosen = next(
        entry
        for entry in json.loads(index.read_text())["manifests"]
        if entry["digest"] == image.digest
    )
    assert Platform(**{"variant": "", **chosen["platform"]}).matches(platform)


def test_index_with_a_mapping_of_manifests():
    directory = DATA / "index-manifests"
    mapping = {
        "sha256:" + path.stem.removeprefix("sha256-"): json.loads(path.read_text())
        for path in directory.glob("*.json")
    }
    image = read_image(DATA / "oci-index.json", "docker.io/library/nginx:1.27", manifests=mapping)
    assert image.layers[0].size == 31415926


def test_index_errors_name_the_file_and_json_path(tmp_path):
    index = DATA / "oci-index.json"
    with pytest.raises(ImageManifestError, match=r"oci-index\.json: \$\.manifests: no manifest "):
        read_image(index, "nginx", platform=Platform("windows", "amd64"))
    with pytest.raises(ImageManifestError, match=r"\$\.manifests\[0\]\.digest: .*manifests="):
        read_image(index, "nginx")
    with pytest.raises(ImageManifestError, match=r"not found in"):
        read_image(index, "nginx", manifests=tmp_path)


def test_manifest_errors_name_the_file_and_json_path(tmp_path):
    document = json.loads((DATA / "oci-manifest.json").read_text())
    document["layers"][2]["size"] = "12846031"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    with pytest.raises(
        ImageManifestError, match=r"broken\.json: \$\.layers\[2\]\.size: expected int"
    ):
        read_image(broken, "app")
    document["layers"][2]["size"] = 1
    document["layers"][1]["mediaType"] = "application/vnd.example.layer+lz4"
    broken.write_text(json.dumps(document))
    with pytest.raises(ImageManifestError, match=r"\$\.layers\[1\]\.mediaType: unsupported"):
        read_image(broken, "app")
    del document["config"]
    broken.write_text(json.dumps(document))
    with pytest.raises(ImageManifestError, match=r"\$\.config: missing"):
        read_image(broken, "app")
    broken.write_text("{not json")
    with pytest.raises(ImageManifestError, match=r"broken\.json: \$: not valid JSON"):
        read_image(broken, "app")
    with pytest.raises(ImageManifestError, match=r"missing\.json: cannot read"):
        read_image(tmp_path / "missing.json", "app")


def test_hand_written_images_share_layers_by_name():
    full = image_from_layers("python:3.12", [("debian", 48e6), ("python", 20e6)])
    slim = image_from_layers("python:3.12-slim", [("debian", 48e6), ("slim", 5e6)])
    assert full.layers[0].digest == slim.layers[0].digest
    assert full.layers[0].digest.startswith("sha256:") and len(full.layers[0].digest) == 71
    assert full.digest != slim.digest
    assert full.uncompressed_size == (48e6 + 20e6) * 3


def test_a_pulled_index_image_costs_one_more_manifest_round_trip(world):
    image = read_image(
        DATA / "oci-index.json", "docker.io/library/nginx:1.27", manifests=DATA / "index-manifests"
    )
    registry = world.registry(round_trip_s=0.1)
    registry.push(image)
    runtime = world.node(nic_receive_bytes_per_s=1e9)
    world.run_pull(runtime, "nginx:1.27")
    world.env.run()
    # HEAD 0.1, GET index 0.2, GET platform manifest 0.3, blob GETs 0.4.
    starts = [row["download_started_s"] for row in world.records.layers]
    assert starts == [pytest.approx(0.4)] * 2
    assert runtime.find_image("nginx:1.27").digest == image.index_digest
