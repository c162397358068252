"""Image pull back-off: client-go util/flowcontrol/backoff.go with the kubelet's 10 s / 300 s."""

from pullsim.kube import Backoff, image_back_off_key

KEY = image_back_off_key("pod-uid-1", "10.202.43.240:5000/app:v1")


def test_key_is_pod_uid_and_image_as_written():
    assert KEY == "pod-uid-1_10.202.43.240:5000/app:v1"


def test_delays_double_from_10_to_300():
    backoff = Backoff()
    now, delays = 0.0, []
    for _ in range(8):
        delay = backoff.next(KEY, now)
        delays.append(delay)
        now += delay  # fail again as soon as the back-off allows
    assert delays == [10, 20, 40, 80, 160, 300, 300, 300]


def test_in_back_off_while_delay_not_elapsed():
    backoff = Backoff()
    backoff.next(KEY, 100.0)
    assert backoff.is_in_back_off(KEY, 109.9)
    assert not backoff.is_in_back_off(KEY, 110.0)
    assert backoff.back_off_until(KEY, 105.0) == 110.0
    assert not backoff.is_in_back_off("other-pod_" + KEY, 105.0)


def test_reset_after_600_seconds_without_failure():
    backoff = Backoff()
    for now in (0.0, 10.0, 30.0):
        backoff.next(KEY, now)
    assert backoff.delay(KEY, 30.0) == 40
    assert backoff.next(KEY, 630.0) == 80  # exactly 600 s later: not yet expired
    assert backoff.next(KEY, 1230.5) == 10  # more than 600 s quiet: starts again
    backoff.gc(1831.0)
    assert len(backoff) == 0


def test_success_does_not_reset_the_entry():
    backoff = Backoff()
    backoff.next(KEY, 0.0)
    backoff.gc(15.0)  # the kubelet's only action after a successful pull
    assert backoff.next(KEY, 20.0) == 20
