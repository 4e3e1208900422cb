"""The one contract of the four method objects, written once in `keras_motion.task.Task` and checked over all of
them: presets name only constructor arguments and lay over the defaults, `seed` on every constructor, configs round
trip, one `NotFittedError`, and no `evaluate_*` verb that trains."""

import inspect

import numpy as np
import pytest

import keras_motion as km
from keras_motion.errors import KerasMotionError, NotFittedError
from keras_motion.task import Task

IMAGES = np.zeros((2, 40, 40, 3), np.uint8)

# method → a call that needs the method's trained model.
TASKS = {
    km.im2flow.Im2Flow: lambda task: task.predict_flow(IMAGES),
    km.mosi.MoSI: lambda task: task.evaluate_pretext([IMAGES[0]]),
    km.vre_mra.VREMRA: lambda task: task.predict(IMAGES),
    km.pose_from_action.PoseFromAction: lambda task: task.classifier(3),
}
PARAMETRIZE = pytest.mark.parametrize("cls", list(TASKS), ids=lambda cls: cls.__name__)


def _arguments(cls):
    return {name: p for name, p in inspect.signature(cls.__init__).parameters.items() if name != "self"}


def test_every_method_object_is_covered():
    methods = {
        obj
        for module in (km.im2flow, km.mosi, km.vre_mra, km.pose_from_action)
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Task)
    }
    assert methods == set(TASKS)


@PARAMETRIZE
def test_presets_name_only_constructor_arguments(cls):
    arguments = _arguments(cls)
    assert cls.PRESETS["cpu"] == {}, "the constructor's defaults are the cpu preset: write each value once"
    assert {"paper", "quick"} <= set(cls.PRESETS)
    for name, preset in cls.PRESETS.items():
        unknown = set(preset) - set(arguments)
        assert not unknown, f"{cls.__name__}.PRESETS[{name!r}] names unknown arguments {sorted(unknown)}"
        hyperparameters = cls.hyperparameters(name)
        assert set(hyperparameters) == set(arguments) - set(Task.RUN_ARGUMENTS)
        assert all(hyperparameters[k] == v for k, v in preset.items())


@PARAMETRIZE
def test_seed_on_every_constructor_and_configs_round_trip(cls):
    assert "seed" in _arguments(cls) and _arguments(cls)["seed"].default == 0
    task = cls.from_preset("quick", seed=3)
    assert task.seed == 3
    config = task.get_config()
    assert "run" not in config and "distribution" not in config
    assert cls.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="unknown preset 'gpu'"):
        cls.from_preset("gpu")


@PARAMETRIZE
def test_one_not_fitted_error(cls):
    with pytest.raises(NotFittedError) as raised:
        TASKS[cls](cls.from_preset("quick"))
    assert isinstance(raised.value, KerasMotionError) and cls.__name__ in str(raised.value)


@PARAMETRIZE
def test_one_name_per_concept(cls):
    # Training and finetuning settings share their names across the methods (not `finetune_lr`, `finetune_batch`).
    names = set(_arguments(cls))
    for short in ("lr", "batch"):
        assert not [n for n in names if n.endswith(f"_{short}")], names
    # An `evaluate_*` verb measures a trained model and never trains one; what trains and measures says so.
    training = {"train_recognition", "finetune_downstream", "finetune", "ablation"}
    evaluations = {n for n in dir(cls) if n.startswith("evaluate")}
    assert not evaluations & training


RECIPES = {
    km.im2flow.Im2Flow: "im2flow",
    km.mosi.MoSI: "mosi",
    km.vre_mra.VREMRA: "vre_mra",
    km.pose_from_action.PoseFromAction: "pose_from_action",
}


@PARAMETRIZE
def test_every_hyperparameter_is_a_recipe_flag_with_its_default(cls):
    import os
    import runpy

    recipe = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "recipes", f"{RECIPES[cls]}.py")
    args = vars(runpy.run_path(recipe, run_name="recipe")["parse_args"]([]))
    for name, default in cls.hyperparameters().items():
        assert name in args, f"recipes/{RECIPES[cls]}.py has no flag for {cls.__name__}({name}=)"
        value = args[name]
        assert (list(value) if isinstance(default, tuple) and value is not None else value) == (
            list(default) if isinstance(default, tuple) else default
        ), name
