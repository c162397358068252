"""Every scenario of the library validates and runs; the loader's includes, units, --set
precedence and redaction; docs/scenarios.md documents every schema field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pullsim
from pullsim.scenario import Scenario
from pullsim.scenario.loader import ScenarioFileError, read_scenario, redacted_document

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "scenarios").glob("*.yaml"))
SEED = ROOT / "scenarios" / "01-private-registry-seed.yaml"
OCI_MANIFEST = ROOT / "tests" / "model" / "data" / "oci-manifest.json"
PASSWORD = "Zx9-pullsim-demo-only"
AUTH = "Y2VzaGktcHVsbDpaeDktcHVsbHNpbS1kZW1vLW9ubHk="


def test_the_library_has_the_seven_situations():
    assert [p.name[:2] for p in LIBRARY] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_every_library_scenario_validates_tells_its_story_and_runs(path):
    loaded = read_scenario(path)
    scenario = loaded.scenario
    assert len(scenario.description) > 80
    assert path.read_text().startswith("# Scenario")
    assert len(scenario.strategies) >= 3
    # All strategies on one seed: the shipped sizes are fast enough (each run < 1 s).
    result = pullsim.compare(scenario, seeds=[0])
    assert result.error is None
    assert set(result.summary["strategy"]) == set(scenario.strategies)
    assert (result.summary["pods"] > 0).all()


def test_the_seed_scenario_shows_the_failing_pod_and_the_working_deployments():
    result = pullsim.simulate(read_scenario(SEED).scenario, "capped-3")
    pods = result.pods.set_index("pod")
    assert pods.loc["debug", "final_reason"] in ("ErrImagePull", "ImagePullBackOff")
    others = pods.drop(index="debug")
    assert others["ready_s"].notna().all()
    assert set(result.pulls.loc[result.pulls["pod"] != "debug", "credential"]) == {"ceshi-pull"}


def test_set_beats_the_file_and_strategies_beat_set(tmp_path):
    assert read_scenario(SEED, ["seed=4"]).scenario.seed == 4
    # --set edits the scenario's own kubelet as the file would: with the file's
    # serializeImagePulls: true, maxParallelImagePulls 2 alone is what the kubelet refuses.
    with pytest.raises(ScenarioFileError, match="cannot be larger than 1"):
        read_scenario(SEED, ["kubelet.maxParallelImagePulls=2"])
    loaded = read_scenario(
        SEED, ["kubelet.serializeImagePulls=false", "kubelet.maxParallelImagePulls=2"]
    )
    assert loaded.scenario.kubelet_configuration().maxParallelImagePulls == 2
    # ... but a strategy's own setting applies on top of it:
    assert loaded.scenario.kubelet_configuration("capped-3").maxParallelImagePulls == 3
    # ... unless --set targets the strategy itself.
    loaded = read_scenario(SEED, ["strategies.capped-3.kubelet.maxParallelImagePulls=5"])
    assert loaded.scenario.kubelet_configuration("capped-3").maxParallelImagePulls == 5


def test_set_values_are_yaml_and_lists_can_be_indexed():
    loaded = read_scenario(
        SEED, ["node_pools[0].count=5", "horizon_s=2m", "registries.0.round_trip_s=10ms"]
    )
    scenario = loaded.scenario
    assert scenario.node_pools[0].count == 5
    assert scenario.horizon_s == 120.0
    assert scenario.registries[0].round_trip_s == pytest.approx(0.01)


def test_a_bad_set_is_reported_as_such():
    with pytest.raises(ScenarioFileError) as caught:
        read_scenario(SEED, ["node_pools[0].count=-1"])
    assert str(caught.value).startswith("--set node_pools[0].count=-1: node_pools[0].count:")
    with pytest.raises(ScenarioFileError, match="expected key.path=value"):
        read_scenario(SEED, ["seed"])


def test_human_units_are_si_inside():
    scenario = read_scenario(SEED).scenario
    pool = scenario.node_pools[0]
    assert pool.nic_receive_bytes_per_s == 1250e6 / 8
    assert pool.disk_write_bytes_per_s == 125 * 1024**2
    assert pool.disk_capacity_bytes == 100 * 1024**3
    assert scenario.registries[0].round_trip_s == pytest.approx(0.002)
    assert scenario.horizon_s == 600.0


def test_includes_resolve_against_the_scenario_directory(tmp_path, monkeypatch):
    (tmp_path / "conf").mkdir()
    shutil.copy(OCI_MANIFEST, tmp_path / "conf" / "app.json")
    (tmp_path / "conf" / "kubelet.yaml").write_text(
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
        "serializeImagePulls: false\nmaxParallelImagePulls: 4\n"
    )
    (tmp_path / "conf" / "apps.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: one}\n"
        "spec: {containers: [{name: c, image: registry.example.com/app:1}]}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: two}\n"
        "spec: {containers: [{name: c, image: registry.example.com/app:1}]}\n"
    )
    (tmp_path / "s.yaml").write_text(
        "registries: [{host: registry.example.com}]\n"
        "images: [{reference: registry.example.com/app:1, manifest: conf/app.json}]\n"
        "node_pools: [{name: pool, count: 1}]\n"
        "kubelet: conf/kubelet.yaml\n"
        "manifests: [conf/apps.yaml]\n"
        "arrivals: [{kind: burst, workload: one}, {kind: burst, workload: two}]\n"
    )
    monkeypatch.chdir("/")
    scenario = read_scenario(tmp_path / "s.yaml").scenario
    assert scenario.kubelet_configuration().maxParallelImagePulls == 4
    layers = json.loads(OCI_MANIFEST.read_text())["layers"]
    assert [layer.bytes for layer in scenario.images[0].layers] == [x["size"] for x in layers]
    assert scenario.images[0].layers[0].name == layers[0]["digest"]
    result = pullsim.simulate(scenario)
    assert result.pods["ready_s"].notna().all()


def test_the_resolved_document_keeps_no_secret():
    loaded = read_scenario(SEED)
    text = json.dumps(redacted_document(loaded))
    assert PASSWORD not in text
    assert AUTH not in text
    assert "ceshi-pull" in text  # usernames stay
    assert {PASSWORD, AUTH} <= loaded.secrets


def test_secrets_never_appear_in_errors(tmp_path):
    text = SEED.read_text().replace("count: 3", "count: 3\n    unknown: " + PASSWORD)
    broken = tmp_path / "seed.yaml"
    shutil.copytree(SEED.parent / "manifests", tmp_path / "manifests")
    broken.write_text(text)
    with pytest.raises(ScenarioFileError) as caught:
        read_scenario(broken)
    assert PASSWORD not in str(caught.value)


def test_every_schema_field_is_described_and_documented():
    from pullsim.scenario.reference import SECTIONS

    docs = (ROOT / "docs" / "scenarios.md").read_text()
    schema = Scenario.model_json_schema()
    titles = {model.__name__ for _, model in SECTIONS}
    definitions = [schema, *schema.get("$defs", {}).values()]
    # Every pydantic model of the scenario is in the reference (the kube dataclasses under
    # `objects` are for Python callers, documented in docs/kubernetes.md).
    assert titles >= {d["title"] for d in definitions if d.get("title", "").endswith("Spec")} - {
        "PodSpec"
    }
    missing = []
    for _, model in SECTIONS:
        for name, info in model.model_fields.items():
            if f"| `{name}` |" not in docs:
                missing.append(f"{model.__name__}.{name} not in docs/scenarios.md")
            if not info.description and name != "kind":
                missing.append(f"{model.__name__}.{name} has no description")
    assert not missing, missing


def test_the_field_reference_in_the_docs_is_generated_from_the_schema():
    from pullsim.scenario.reference import field_reference_markdown

    docs = (ROOT / "docs" / "scenarios.md").read_text()
    block = docs.split("<!-- fields -->\n", 1)[1].split("<!-- /fields -->", 1)[0]
    assert block.strip() == field_reference_markdown().strip(), (
        "regenerate: python -m pullsim.scenario.reference"
    )
