"""The scheduler on paper: ImageLocality against kube-scheduler's formula, upstream image-name
matching, and the percentageOfNodesToScore search against a plain full-ring reference.

Upstream: ``pkg/scheduler/framework/plugins/imagelocality/image_locality.go``
(sumImageScores, scaledImageScore, calculatePriority, normalizedImageName) and
``pkg/scheduler/schedule_one.go`` (numFeasibleNodesToFind, nextStartNodeIndex).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pullsim
from pullsim.kube import Container, ContainerKind, PodSpec, PullPolicy
from pullsim.model.scheduler import (
    Scheduler,
    image_locality_score,
    node_status_image_names,
    normalized_image_name,
    num_feasible_nodes_to_find,
)
from pullsim.scenario import BurstArrival, SchedulerSpec
from tests.kubelet.helpers import (
    MB,
    container,
    image,
    nic_bound_pool,
    pod_workload,
    scenario,
)

MIB = 2**20
BIG = "registry.example.com/team/big:1"
SMALL = "registry.example.com/team/small:1"


def pod(*images: str, init: tuple[str, ...] = (), requests=None) -> PodSpec:
    def make(name, ref, kind=ContainerKind.APP):
        return Container(name, ref, PullPolicy.IF_NOT_PRESENT, kind, dict(requests or {}))

    return PodSpec(
        name="p",
        init_containers=tuple(make(f"i{k}", ref, ContainerKind.INIT) for k, ref in enumerate(init)),
        containers=tuple(make(f"c{k}", ref) for k, ref in enumerate(images)),
    )


def four_nodes(**options) -> Scheduler:
    scheduler = Scheduler(image_locality=True, **options)
    for k in range(4):
        scheduler.add_node(f"node-{k}", cpu=4, memory=16 * 2**30)
    return scheduler


# ------------------------------------------------------------------ calculatePriority
@pytest.mark.parametrize(
    ("sum_mib", "containers", "expected"),
    [
        (0, 1, 0),  # below minThreshold: clamped to 23 MiB -> 0
        (23, 1, 0),
        (500, 1, 48),  # 100 * (500 - 23) / (1000 - 23) = 47700 / 977 = 48.8 -> 48
        (500, 2, 24),  # max 2000 MiB: 100 * 477 / 1977 = 24.1 -> 24
        (1000, 2, 49),  # 100 * 977 / 1977 = 49.4 -> 49
        (1000, 1, 100),
        (5000, 1, 100),  # clamped to maxContainerThreshold x 1
    ],
)
def test_calculate_priority_as_upstream(sum_mib, containers, expected):
    assert image_locality_score(sum_mib * MIB, containers) == expected


# ------------------------------------------------------------------ sumImageScores
def test_scaled_image_scores_sum_over_init_and_app_containers():
    scheduler = four_nodes()
    scheduler.set_image_size(BIG, 400 * MIB)
    scheduler.set_image_size(SMALL, 50 * MIB)
    scheduler.image_present("node-0", BIG)
    scheduler.image_present("node-1", BIG)
    scheduler.image_present("node-0", SMALL)

    # One container: BIG on 2 of 4 nodes: int(400 MiB x 2/4) = 209715200;
    # 100 x (209715200 - 24117248) / (1048576000 - 24117248) = 18.1 -> 18.
    assert scheduler.image_locality_scores(pod(BIG)) == {
        "node-0": 18,
        "node-1": 18,
        "node-2": 0,
        "node-3": 0,
    }
    # An init container counts too (upstream since 1.29), and in the container count:
    # max = 2 x 1000 MiB = 2097152000. node-0: 209715200 + int(50 MiB x 1/4) = 222822400,
    # 100 x (222822400 - 24117248) / 2073034752 = 9.59 -> 9;
    # node-1: 100 x (209715200 - 24117248) / 2073034752 = 8.95 -> 8.
    assert scheduler.image_locality_scores(pod(BIG, init=(SMALL,))) == {
        "node-0": 9,
        "node-1": 8,
        "node-2": 0,
        "node-3": 0,
    }
    # The same image in two containers is counted twice (a loop over containers):
    # 2 x 209715200 = 419430400; 100 x (419430400 - 24117248) / 2073034752 = 19.07 -> 19.
    assert scheduler.image_locality_scores(pod(BIG, BIG))["node-0"] == 19


def test_locality_breaks_a_least_allocated_tie_towards_the_node_with_the_image():
    # Three empty, equal nodes: LeastAllocated ties. The image (800 MiB) is on node-2 only:
    # int(838860800 / 3) = 279620266 -> 100 x (279620266 - 24117248) / 1024458752 = 24.9 -> 24.
    for locality, expected in ((False, "node-0"), (True, "node-2")):
        scheduler = Scheduler(image_locality=locality)
        for k in range(3):
            scheduler.add_node(f"node-{k}", cpu=4, memory=16 * 2**30)
        scheduler.set_image_size(BIG, 800 * MIB)
        scheduler.image_present("node-2", BIG)
        if locality:
            assert scheduler.image_locality_scores(pod(BIG))["node-2"] == 24
        assert scheduler.schedule(pod(BIG)) == expected


# ------------------------------------------------------------------ image names
@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("nginx", "nginx:latest"),
        ("nginx:1.25", "nginx:1.25"),
        ("docker.io/library/nginx", "docker.io/library/nginx:latest"),
        ("localhost:5000/app", "localhost:5000/app:latest"),  # the port's ':' is before '/'
        ("localhost:5000/app:v1", "localhost:5000/app:v1"),
        ("nginx@sha256:" + "a" * 64, "nginx@sha256:" + "a" * 64),  # ':' after the last '/'
    ],
)
def test_normalized_image_name_only_adds_latest(written, key):
    assert normalized_image_name(written) == key


def test_node_status_names_per_runtime():
    assert node_status_image_names("nginx:1.25") == ("docker.io/library/nginx:1.25",)
    assert node_status_image_names("nginx:1.25", familiar=True) == ("nginx:1.25",)
    assert node_status_image_names("registry.example.com/app") == (
        "registry.example.com/app:latest",
    )
    digest = "sha256:" + "b" * 64
    assert node_status_image_names(f"quay.io/x/y@{digest}") == (f"quay.io/x/y@{digest}",)


@pytest.mark.parametrize(
    ("familiar", "written", "scored"),
    [
        # containerd / CRI-O list fully qualified names: a familiar pod image does not match
        # (kubernetes/kubernetes#112699), the fully qualified one does.
        (False, "nginx:1.25", False),
        (False, "docker.io/library/nginx:1.25", True),
        # Docker lists familiar names: the other way round.
        (True, "nginx:1.25", True),
        (True, "docker.io/library/nginx:1.25", False),
        # Untagged: ':latest' is added on both sides.
        (False, "registry.example.com/app", True),
        (False, "registry.example.com/app:latest", True),
    ],
)
def test_names_compared_as_strings_like_upstream(familiar, written, scored):
    scheduler = four_nodes(familiar_image_names=familiar)
    pulled = "registry.example.com/app" if "app" in written else "nginx:1.25"
    scheduler.set_image_size(pulled, 600 * MIB)
    for node in ("node-0", "node-1", "node-2", "node-3"):
        scheduler.image_present(node, pulled)
    # On every node: int(600 MiB x 4/4) = 629145600 -> 100 x 605028352 / 1024458752 = 59.
    expected = 59 if scored else 0
    assert scheduler.image_locality_scores(pod(written))["node-0"] == expected


def test_simulation_feeds_the_scheduler_what_the_node_pulled():
    # Two 4-core, 16 GiB nodes. "first" pulls a 300 MB image onto node-0000 at t = 0 (the
    # empty nodes tie; first by name). "second" comes at 60 s. LeastAllocated with the non-zero
    # defaults (0.1 cpu, 200 MiB per container): node-0000 (one pod booked) cpu 3.8/4 -> 94 or
    # 95, memory 15984/16384 MiB -> 97, total 95 or 96; node-0001 cpu 97, memory 98 -> 97.
    # Without locality node-0001 wins; with it node-0000 adds int(~300e6 x 1/2) ->
    # 100 x (150e6 - 24117248) / 1024458752 = 12 and wins.
    ref = "registry.test/big:1"
    first = pod_workload("first", container("app", ref))
    second = pod_workload("second", container("app", ref))
    for locality, expected in ((False, "node-0001"), (True, "node-0000")):
        situation = scenario(
            [image(ref, ("l", 300 * MB))],
            [first, second],
            pool=nic_bound_pool(count=2, cpu_cores=4),
            arrivals=(BurstArrival(workload="first"), BurstArrival(workload="second", at_s=60)),
            scheduler=SchedulerSpec(image_locality=locality),
        )
        pods = pullsim.simulate(situation).raise_for_error().pods.set_index("pod")
        assert pods.loc["first-0", "node"] == "node-0000"
        assert pods.loc["first-0", "ready_s"] < 60  # the image is there before "second"
        assert pods.loc["second-0", "node"] == expected


# ------------------------------------------------------------------ nodes searched
def reference_schedule(state: dict, requests: tuple[float, float], count: int) -> int | None:
    """The full-ring search written plainly: the first ``to_find`` feasible nodes from
    ``start``; the next start is after the last one found, or a full turn when no more fit."""
    cpu, memory = requests
    to_find = num_feasible_nodes_to_find(count)
    start = state["start"] % count
    found = []
    extra = False
    for step in range(count):
        index = (start + step) % count
        fits = (
            state["pods"][index] < state["max_pods"][index]
            and state["cpu"][index] + cpu <= state["allocatable_cpu"] + 1e-9
            and state["memory"][index] + memory <= state["allocatable_memory"] + 1e-9
        )
        if fits:
            if len(found) == to_find:
                extra = True
                break
            found.append((step, index))
    if not found:
        return None
    state["start"] = (start + (found[-1][0] + 1 if extra else count)) % count
    return [index for _, index in found]


@settings(max_examples=25, deadline=None)
@given(
    st.integers(100, 400),
    st.lists(st.integers(0, 3), min_size=30, max_size=120),
    st.integers(1, 12),
)
def test_windowed_search_visits_what_the_full_ring_does(count, sizes, max_pods):
    # Few pods per node fill nodes quickly, so the search meets full nodes and wraps round.
    scheduler = Scheduler()
    for k in range(count):
        scheduler.add_node(f"node-{k:04d}", cpu=8, memory=32 * 2**30, max_pods=max_pods)
    state = {
        "start": 0,
        "pods": np.zeros(count),
        "max_pods": np.full(count, max_pods),
        "cpu": np.zeros(count),
        "memory": np.zeros(count),
        "allocatable_cpu": 8,
        "allocatable_memory": 32 * 2**30,
    }
    for size in sizes:
        spec = pod(BIG, requests={"cpu": 0.5 * (size + 1), "memory": 2**30 * size})
        expected = reference_schedule(state, (0.5 * (size + 1), 2**30 * size), count)
        chosen = scheduler.schedule(spec)
        if expected is None:
            assert chosen is None
            continue
        assert chosen is not None and scheduler.index[chosen] in expected
        assert scheduler._next_start == state["start"]
        index = scheduler.index[chosen]
        state["pods"][index] += 1
        state["cpu"][index] += 0.5 * (size + 1)
        state["memory"][index] += 2**30 * size


# ------------------------------------------------------------------ the choice, pod by pod
class PlainScheduler:
    """kube-scheduler's rules as the module docstring states them, node by node in Python
    floats: the first ``numFeasibleNodesToFind`` nodes that fit along the ring from where the
    last search stopped, LeastAllocated (+ ImageLocality), the best score, ties to the first
    node by name."""

    def __init__(self, *, locality: bool, percentage: int | None, familiar: bool) -> None:
        self.locality = locality
        self.percentage = percentage
        self.familiar = familiar
        self.nodes: list[dict] = []
        self.sizes: dict[str, float] = {}
        self.start = 0

    def add_node(self, name, cpu, memory, max_pods, labels):
        self.nodes.append(
            {
                "name": name,
                "cpu": float(cpu),
                "memory": float(memory),
                "max_pods": max_pods,
                "labels": labels,
                "pods": 0.0,
                "cpu_requested": 0.0,
                "memory_requested": 0.0,
                "cpu_nonzero": 0.0,
                "memory_nonzero": 0.0,
                "images": set(),
            }
        )

    def set_image_size(self, ref, size):
        for name in node_status_image_names(ref, familiar=self.familiar):
            self.sizes[name] = size

    def image_present(self, node, ref):
        self.nodes[node]["images"].update(node_status_image_names(ref, familiar=self.familiar))

    @staticmethod
    def requests(spec: PodSpec) -> tuple[float, float, float, float]:
        effective = spec.resource_requests()
        cpu, memory = effective.get("cpu", 0.0), effective.get("memory", 0.0)
        cpu_nonzero = memory_nonzero = 0.0
        for c in spec.containers:
            cpu_nonzero += c.resource_requests.get("cpu", 0.0) or 0.1
            memory_nonzero += c.resource_requests.get("memory", 0.0) or 200 * MIB
        return cpu, memory, max(cpu, cpu_nonzero), max(memory, memory_nonzero)

    def book(self, spec, node, sign):
        cpu, memory, cpu_nonzero, memory_nonzero = self.requests(spec)
        state = self.nodes[node]
        state["pods"] += sign
        state["cpu_requested"] += sign * cpu
        state["memory_requested"] += sign * memory
        state["cpu_nonzero"] += sign * cpu_nonzero
        state["memory_nonzero"] += sign * memory_nonzero

    def fits(self, spec, node) -> bool:
        cpu, memory, _, _ = self.requests(spec)
        state = self.nodes[node]
        return (
            state["pods"] < state["max_pods"]
            and state["cpu_requested"] + cpu <= state["cpu"] + 1e-9
            and state["memory_requested"] + memory <= state["memory"] + 1e-9
            and all(state["labels"].get(k) == v for k, v in spec.node_selector.items())
        )

    def score(self, spec, node) -> float:
        _, _, cpu_nonzero, memory_nonzero = self.requests(spec)
        state = self.nodes[node]
        cpu = max((state["cpu"] - state["cpu_nonzero"] - cpu_nonzero) * 100, 0.0)
        memory = max((state["memory"] - state["memory_nonzero"] - memory_nonzero) * 100, 0.0)
        score = (cpu // state["cpu"] + memory // state["memory"]) // 2
        if self.locality:
            total = 0.0
            for c in spec.all_containers:
                name = normalized_image_name(c.image)
                having = sum(1 for other in self.nodes if name in other["images"])
                if name in state["images"]:
                    spread = float(having) / float(len(self.nodes))
                    total += float(int(self.sizes.get(name, 0.0) * spread))
            score += image_locality_score(total, len(spec.all_containers))
        return score

    def schedule(self, spec: PodSpec) -> int | None:
        count = len(self.nodes)
        if count == 0:
            return None
        to_find = num_feasible_nodes_to_find(count, self.percentage)
        start = self.start % count
        found: list[tuple[int, int]] = []  # (step along the ring, node)
        more = False
        for step in range(count):
            node = (start + step) % count
            if self.fits(spec, node):
                if len(found) == to_find:
                    more = True
                    break
                found.append((step, node))
        if not found:
            self.start = start
            return None
        self.start = (start + (found[-1][0] + 1 if more else count)) % count
        ranked = sorted(self.nodes[node]["name"] for _, node in found)
        chosen = max(
            (node for _, node in found),
            key=lambda node: (self.score(spec, node), -ranked.index(self.nodes[node]["name"])),
        )
        self.book(spec, chosen, +1.0)
        return chosen


def random_pod(draw, k: int) -> PodSpec:
    def requests():
        if draw(st.booleans()):
            return {}  # the non-zero defaults count for scoring: a node can be over-booked
        return {
            name: amount
            for name, amount in (
                ("cpu", draw(st.sampled_from([0.0, 0.05, 0.1, 0.25, 0.5, 1.5, 2.0]))),
                ("memory", draw(st.sampled_from([0.0, 64 * MIB, 1e9, 2**30, 3 * 2**30]))),
            )
            if amount
        }

    images = [BIG, SMALL, "nginx:1.25", "docker.io/library/nginx:1.25"]
    containers = tuple(
        Container(
            f"c{j}",
            draw(st.sampled_from(images)),
            PullPolicy.IF_NOT_PRESENT,
            ContainerKind.APP,
            requests(),
        )
        for j in range(draw(st.integers(1, 2)))
    )
    init = tuple(
        Container(
            f"i{j}",
            draw(st.sampled_from(images)),
            PullPolicy.IF_NOT_PRESENT,
            draw(st.sampled_from([ContainerKind.INIT, ContainerKind.SIDECAR])),
            requests(),
        )
        for j in range(draw(st.integers(0, 1)))
    )
    selector = draw(st.sampled_from([{}, {}, {"zone": "a"}, {"zone": "b", "disk": "ssd"}]))
    return PodSpec(
        name=f"t{k}", init_containers=init, containers=containers, node_selector=selector
    )


@st.composite
def clusters(draw):
    count = draw(st.one_of(st.integers(1, 12), st.integers(1, 240)))
    nodes = [
        (
            f"node-{(k * 7919) % 10007:05d}",  # names out of index order: rank != index
            draw(st.sampled_from([0.5, 1.0, 2.0, 3.5, 8.0])),
            draw(st.sampled_from([4 * 2**30, 16 * 2**30, 1e10])),
            draw(st.sampled_from([2, 5, 12, 110])),
            draw(st.sampled_from([{}, {"zone": "a"}, {"zone": "b", "disk": "ssd"}])),
        )
        for k in range(count)
    ]
    templates = [random_pod(draw, k) for k in range(draw(st.integers(1, 6)))]
    operations = draw(
        st.lists(
            st.one_of(
                *[st.tuples(st.just("pod"), st.integers(0, len(templates) - 1))] * 6,
                st.tuples(st.just("delete"), st.integers(0, 10**6)),
                st.tuples(
                    st.just("bind"), st.integers(0, len(templates) - 1), st.integers(0, 10**6)
                ),
                st.tuples(st.just("image"), st.integers(0, 10**6), st.integers(0, 3)),
                st.tuples(st.just("image"), st.integers(0, 10**6), st.integers(0, 3)),
                st.tuples(st.just("join"), st.integers(0, 10**6)),
            ),
            min_size=40,
            max_size=200,
        )
    )
    return (
        nodes,
        templates,
        operations,
        draw(st.booleans()),  # image locality
        draw(st.sampled_from([None, 0, 30, 100])),  # percentageOfNodesToScore
        draw(st.booleans()),  # familiar image names (Docker)
    )


@pytest.mark.parametrize("tight", [False, True], ids=["default", "tight-caches"])
@settings(max_examples=60, deadline=None)
@given(cluster=clusters())
def test_every_choice_is_the_plain_rules_choice(tight, cluster):
    # The scheduler keeps each signature's filter and score per node and updates them where a
    # booking changed something; the node chosen, and where the next search starts, must be
    # what the rules written plainly give, pod after pod. "tight" shrinks the caches so that
    # every path runs: node-by-node and vector updates, rebuilds, the uncached plain path.
    import pullsim.model.scheduler as module

    saved = (module.MAX_CACHED_FITS, module._SCALAR_UPDATES, module._LOG_LIMIT)
    if tight:
        module.MAX_CACHED_FITS, module._SCALAR_UPDATES, module._LOG_LIMIT = 2, 1, 7
    try:
        check_against_plain(*cluster)
    finally:
        module.MAX_CACHED_FITS, module._SCALAR_UPDATES, module._LOG_LIMIT = saved


def check_against_plain(nodes, templates, operations, locality, percentage, familiar):
    scheduler = Scheduler(
        image_locality=locality,
        percentage_of_nodes_to_score=percentage,
        familiar_image_names=familiar,
    )
    plain = PlainScheduler(locality=locality, percentage=percentage, familiar=familiar)
    for name, cpu, memory, max_pods, labels in nodes:
        scheduler.add_node(name, cpu=cpu, memory=memory, max_pods=max_pods, labels=labels)
        plain.add_node(name, cpu, memory, max_pods, labels)
    images = [BIG, SMALL, "nginx:1.25", "registry.example.com/team/app"]
    for k, ref in enumerate(images):
        scheduler.set_image_size(ref, (100 + 350 * k) * MIB)
        plain.set_image_size(ref, (100 + 350 * k) * MIB)
    bound: list[tuple[PodSpec, int]] = []
    for step, operation in enumerate(operations):
        kind = operation[0]
        count = len(plain.nodes)
        if kind == "pod":
            spec = templates[operation[1]]
            expected = plain.schedule(spec)
            chosen = scheduler.schedule(spec)
            assert chosen == (None if expected is None else plain.nodes[expected]["name"])
            assert scheduler._next_start == plain.start
            if expected is not None:
                bound.append((spec, expected))
        elif kind == "delete" and bound:
            spec, node = bound.pop(operation[1] % len(bound))
            scheduler.unbind(spec, plain.nodes[node]["name"])
            plain.book(spec, node, -1.0)
        elif kind == "bind":
            spec, node = templates[operation[1]], operation[2] % count
            scheduler.bind(spec, plain.nodes[node]["name"])  # nodeName: no filter
            plain.book(spec, node, +1.0)
            bound.append((spec, node))
        elif kind == "image":
            node = operation[1] % count
            scheduler.image_present(plain.nodes[node]["name"], images[operation[2]])
            plain.image_present(node, images[operation[2]])
        elif kind == "join":
            name = f"node-{operation[1]:07d}-joined"
            if name not in scheduler.index:
                scheduler.add_node(name, cpu=4, memory=8 * 2**30, max_pods=6, labels={"zone": "a"})
                plain.add_node(name, 4, 8 * 2**30, 6, {"zone": "a"})
        if step % 5 == 4:  # now and then, to leave a few bookings for fits to catch up on
            assert_fits_current(scheduler)


def assert_fits_current(scheduler: Scheduler) -> None:
    """Every fit, once caught up on the bookings, holds what a rebuild from the columns would:
    the updates node by node (Python floats) give the same keys as the vector arithmetic."""
    for fit in list(scheduler._fits.values()):
        if fit.seen != len(scheduler._changes) and not scheduler._catch_up(fit):
            continue  # not exact: the scheduler drops the fit and takes the plain path
        fresh = scheduler._keys(fit, slice(None))
        assert fresh is not None
        assert np.array_equal(fit.key, fresh)
        assert fit.infeasible == np.count_nonzero(fresh < 0)
