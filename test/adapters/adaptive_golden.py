"""Replays a controller golden vector through the Python AdaptiveController; prints JSON.

The vector (test/adaptive/controller-golden.json, written by the TypeScript side) holds the controller's options, a sequence of step
measurements and the decisions the TypeScript controller made on them. Its "format" key says how
to replay it: create the controller with "options", then observe(step) and decide() for each
step in order. This prints the Python decisions ({"decisions": [...]}) with the same field names
as the "expected" entries, for pytorch-adaptive.test.ts to compare (relative tolerance 1e-9).
Standard library only.

    python3 test/adapters/adaptive_golden.py test/adaptive/controller-golden.json
"""

import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "adapters", "python"))
from batchwise_adaptive import AdaptiveController  # noqa: E402

#: The vector's option names (the TypeScript controller's) and the Python ones.
OPTION_NAMES = {
    "initialBatchSize": "initial_batch_size",
    "learningRate": "learning_rate",
    "lrRule": "lr_rule",
    "datasetSize": "dataset_size",
    "maxBatchSize": "max_batch_size",
    "emaDecay": "ema_decay",
    "checkEverySteps": "check_every_steps",
    "minStepsBeforeGrow": "min_steps_before_grow",
    "growFactor": "grow_factor",
}


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        golden = json.load(file)
    unknown = sorted(set(golden["options"]) - set(OPTION_NAMES))
    if unknown:
        sys.exit("the golden vector has options this replay does not know: %s" % ", ".join(unknown))
    controller = AdaptiveController(**{OPTION_NAMES[k]: v for k, v in golden["options"].items()})
    decisions = []
    for step in golden["steps"]:
        controller.observe(
            micro_batch_size=step["microBatchSize"],
            micro_sq_norms=step["microSqNorms"],
            big_sq_norm=step["bigSqNorm"],
            step_seconds=step["stepSeconds"],
        )
        change = controller.decide()
        if change is not None:
            record = change.to_dict()
            record["afterStep"] = record.pop("step")
            decisions.append(record)
    print(json.dumps({"steps": controller.step_count, "decisions": decisions}))


if __name__ == "__main__":
    main()
