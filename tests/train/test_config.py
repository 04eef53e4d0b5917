"""Config validation: typed dataclasses, errors that name the key, CLI exit status 2."""

import pytest

from optzoo.cli_train import main
from optzoo.train.config import Config, ConfigError, load_config


def test_defaults_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model: {name: mlp, width: 8}\noptimizer: {learning_rate: 1e-3}\n")
    cfg = load_config(path, ["train.steps=7", "optimizer.schedule.name=cosine", "seed=3"])
    assert isinstance(cfg, Config)
    assert cfg.model.width == 8 and cfg.train.steps == 7 and cfg.seed == 3
    assert cfg.optimizer.learning_rate == 1e-3  # YAML 1.1 reads 1e-3 as a string
    assert cfg.optimizer.schedule.name == "cosine"
    assert load_config({}).train.steps == 200


@pytest.mark.parametrize(
    "raw,overrides,match",
    [
        ({"modle": {}}, [], r"unknown key modle; did you mean 'model'"),
        ({}, ["model.widht=3"], r"unknown key model\.widht; did you mean 'width'"),
        ({}, ["model.width=abc"], r"model\.width: expected an integer"),
        ({}, ["model.width=true"], r"model\.width: expected an integer"),
        ({}, ["model.width=0"], r"model\.width: 0 must be >= 1"),
        ({}, ["model.norm=batchnorm"], r"model\.norm: 'batchnorm' is not one of.*'batch'"),
        ({}, ["parallel.strategy=pmapp"], r"parallel\.strategy.*did you mean 'pmap'"),
        ({}, ["optimizer.learning_rate=fast"], r"optimizer\.learning_rate: expected a number"),
        ({}, ["train.on_nonfinite=ignore"], r"train\.on_nonfinite"),
        ({}, ["train.steps=5", "train.epochs=2"], r"train\.steps and train\.epochs"),
        ({"train": 5}, [], r"train: expected a mapping"),
        ({}, ["nonsense"], r"expected dotted\.key=value"),
        ({}, ["parallel.zero1=true"], r"zero1 needs"),
    ],
)
def test_errors_name_the_key(raw, overrides, match):
    with pytest.raises(ConfigError, match=match):
        load_config(raw, overrides)


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(listy)
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("seed: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(unsafe)


@pytest.mark.parametrize(
    "overrides,needle",
    [
        (["train.stpes=3"], "train.stpes"),
        (["optimizer.name=adamm"], "did you mean 'adam'"),
        (["optimizer.hyperparameters.bogus=1"], "optimizer.hyperparameters"),
        (["data.options.nope=1"], "data.options"),
        (["data.name=mnist"], "data.path"),
    ],
)
def test_cli_exits_2_without_traceback(tmp_path, capsys, overrides, needle):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "model: {name: mlp, width: 4, depth: 1}\ndata: {name: spirals}\n"
        "train: {steps: 1, batch_size: 8}\n"
    )
    args = [str(cfg), "--out", str(tmp_path / "out"), "--quiet"]
    for o in overrides:
        args += ["--set", o]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_out_refuses_foreign_directory(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data: {name: spirals}\n")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    assert main([str(cfg), "--out", str(foreign)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (foreign / "thesis.tex").read_text() == "precious"


def test_shipped_configs_validate():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "configs"
    shipped = sorted(root.glob("*.yaml"))
    assert any(p.name == "digits_mlp.yaml" for p in shipped)
    families = {load_config(p).model.name for p in shipped}
    assert families == {"mlp", "lenet5", "resnet", "rnn", "transformer"}


def test_cli_trains_and_writes_metrics(tmp_path, capsys):
    import json

    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: {width: 8, depth: 1}\ndata: {name: spirals}\n")
    out = tmp_path / "run"
    code = main(
        [str(cfg), "--out", str(out), "--set", "train.steps=5", "--set", "train.batch_size=16"]
    )
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 5 and metrics["strategy"] == "single"
    captured = capsys.readouterr()
    # stderr is not a terminal here: no progress bar, only the result line on stdout.
    assert "metrics.json" in captured.out and "5/5" not in captured.err
    # Same --out again: an optzoo directory is reused (resumed), no --force needed.
    assert (
        main(
            [
                str(cfg),
                "--out",
                str(out),
                "--quiet",
                "--set",
                "train.steps=5",
                "--set",
                "train.batch_size=16",
            ]
        )
        == 0
    )
