"""transcripts.py - comparing a client's transcript with the one recorded on real QEMU."""
import difflib


def mismatch(expected, actual, expected_name, actual_name, context=3):
    """None when equal, else a message: the first differing line and a diff."""
    if expected == actual:
        return None
    exp, act = expected.splitlines(), actual.splitlines()
    first = next((i for i, (a, b) in enumerate(zip(exp, act)) if a != b), min(len(exp), len(act)))
    diff = "\n".join(difflib.unified_diff(exp, act, expected_name, actual_name, lineterm="",
                                          n=context))
    want = exp[first] if first < len(exp) else "<end of transcript>"
    got = act[first] if first < len(act) else "<end of transcript>"
    return (f"transcripts differ from line {first + 1}:\n  real QEMU: {want}\n  this run:  {got}\n"
            f"{diff}")
