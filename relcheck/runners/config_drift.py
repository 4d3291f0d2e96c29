"""The ``config-drift`` runner: staging's configuration against production's.

Loads both sides (YAML, JSON, TOML, .env, INI files, or JSON over HTTP(S)), flattens
them to dotted paths, reports every difference that is not intended, checks the
``require`` rules, refuses plain-text secrets in tracked files if asked, and compares
lock files as package==version sets. See ``relcheck.configdrift`` for each part.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from relcheck.api import Annotation, Runner, RunnerError, Status, StepContext, StepResult
from relcheck.errors import RepoStateError, SourceError

Format = Literal["yaml", "json", "toml", "env", "ini"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceParams(_Strict):
    """One side given as a mapping: a ``path`` or a ``url``, and optionally its format."""

    path: str | None = None
    url: str | None = None
    format: Format | None = None
    headers: dict[str, str] = Field(default_factory=dict)  # ${VAR} expanded, e.g. a token

    @model_validator(mode="after")
    def _one_location(self) -> SourceParams:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of `path` or `url`")
        if self.url is not None and not self.url.startswith(("http://", "https://", "${")):
            raise ValueError("`url` must start with http:// or https://")
        return self


class LockPair(_Strict):
    """A pair of lock files compared as package==version sets."""

    staging: str
    production: str
    format: Literal["requirements", "uv", "poetry", "pylock"] | None = None


class RuleParams(_Strict):
    """A ``require`` rule; a plain value is short for ``{equals: value}``."""

    on: Literal["both", "staging", "production"] = "both"
    equals: Any = None
    in_: tuple[Any, ...] | None = Field(None, alias="in")
    min: float | None = None
    max: float | None = None
    present: bool | None = None
    absent: bool | None = None
    regex: str | None = Field(None, validation_alias=AliasChoices("regex", "matches"))

    @model_validator(mode="before")
    @classmethod
    def _yaml_on_key(cls, data: Any) -> Any:
        # YAML 1.1 reads a bare `on:` key as the boolean true; the checklist loader then
        # turns that key into the text "True".
        if isinstance(data, dict) and ("True" in data or True in data):
            data = {("on" if k in ("True", True) else k): v for k, v in data.items()}
        return data

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        import re

        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _some_check(self) -> RuleParams:
        checks = self.model_fields_set - {"on"}
        if not checks:
            raise ValueError("a rule needs one of equals, in, min, max, present, absent, regex")
        if self.present is not None and self.absent is not None and self.present == self.absent:
            raise ValueError("`present` and `absent` contradict each other")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("`min` is greater than `max`")
        return self


class ConfigDriftParams(_Strict):
    """Parameters of the ``config-drift`` runner."""

    staging: str | SourceParams
    production: str | SourceParams
    format: Format | None = None
    allow_extra: tuple[str, ...] = ()
    may_differ: tuple[str, ...] = ()
    must_equal: tuple[str, ...] = ()
    require: dict[str, RuleParams] = Field(default_factory=dict)
    forbid_plaintext_secrets: bool = False
    secret_keys: tuple[str, ...] = ()
    secret_references: tuple[str, ...] = ()
    lockfiles: tuple[LockPair, ...] = ()

    # The JSON Schema (for editors) must accept the shorthand too: a plain value.
    @field_validator(
        "require",
        mode="before",
        json_schema_input_type=dict[str, RuleParams | str | int | float | bool | None],
    )
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if isinstance(v, dict) else {"equals": v} for k, v in value.items()}
        return value

    def locations(self) -> tuple[str, str]:
        """Both sides' path or URL, as written."""
        return _location(self.staging), _location(self.production)


def _location(side: str | SourceParams) -> str:
    if isinstance(side, str):
        return side
    return side.path if side.path is not None else side.url or ""


class ConfigDriftRunner(Runner):
    """Compares staging's configuration with production's; passes when every difference
    is intended and every rule holds."""

    name = "config-drift"
    Params = ConfigDriftParams
    cacheable = True  # for files; see cacheable_for
    version = "1"
    description = "Compare staging and production configuration; check required settings."

    @classmethod
    def cacheable_for(cls, params: ConfigDriftParams) -> bool:
        """False when a side is a URL (or a path from the environment): the answer can
        change while no file in the repository does."""
        return not any(
            loc.startswith(("http://", "https://")) or "${" in loc for loc in params.locations()
        )

    @classmethod
    def inputs_for(cls, params: ConfigDriftParams) -> list[str]:
        """The files the result depends on, relative to the repository."""
        files = [loc for loc in params.locations() if not loc.startswith(("http:", "https:"))]
        for pair in params.lockfiles:
            files += [pair.staging, pair.production]
        return files

    def run(self, params: ConfigDriftParams, ctx: StepContext) -> StepResult:
        from relcheck.configdrift.check import run_check

        try:
            outcome = run_check(
                _check_input(params),
                root=ctx.workdir,
                env=ctx.env,
                timeout=ctx.remaining(),
                mask=ctx.sink.mask,
            )
        except SourceError as exc:
            annotations: tuple[Annotation, ...] = ()
            if exc.path is not None:
                annotations = (Annotation(exc.message, exc.path, exc.line, exc.column),)
            # A side that could not be read in the time the step had left: the step's
            # timeout ended it, as for any other runner.
            status = Status.TIMED_OUT if ctx.remaining() <= 0 else Status.ERROR
            return StepResult(status, exc.message, annotations=annotations)
        except RepoStateError as exc:  # git missing or hung while asking what it tracks
            raise RunnerError(str(exc)) from exc
        if ctx.cancel.is_set():  # a URL fetch may have outlived a Ctrl-C
            return StepResult(Status.INTERRUPTED, "interrupted")
        ctx.sink.write(("\n".join(outcome.log_lines) + "\n").encode())
        status = Status.FAILED if outcome.failed else Status.PASSED
        return StepResult(
            status, outcome.summary, metrics=outcome.metrics, details=tuple(outcome.details)
        )


def _check_input(params: ConfigDriftParams) -> Any:
    """The plain description of the comparison that ``relcheck.configdrift.check`` runs."""
    from relcheck.configdrift.check import CheckInput, LockSpec
    from relcheck.configdrift.rules import UNSET, Rule
    from relcheck.configdrift.sources import SourceSpec

    def side(value: str | SourceParams) -> SourceSpec:
        if isinstance(value, str):
            return SourceSpec(value, params.format)
        return SourceSpec(_location(value), value.format or params.format, dict(value.headers))

    rules = []
    for path, rule in params.require.items():
        present = (
            rule.present
            if rule.present is not None
            else (None if rule.absent is None else not rule.absent)
        )
        rules.append(
            Rule(
                path=path,
                on=rule.on,
                equals=rule.equals if "equals" in rule.model_fields_set else UNSET,
                in_=rule.in_,
                min=rule.min,
                max=rule.max,
                present=present,
                regex=rule.regex,
            )
        )
    return CheckInput(
        staging=side(params.staging),
        production=side(params.production),
        allow_extra=params.allow_extra,
        may_differ=params.may_differ,
        must_equal=params.must_equal,
        rules=tuple(rules),
        forbid_plaintext_secrets=params.forbid_plaintext_secrets,
        secret_keys=params.secret_keys,
        secret_references=params.secret_references,
        lockfiles=tuple(LockSpec(p.staging, p.production, p.format) for p in params.lockfiles),
    )


__all__ = ["ConfigDriftParams", "ConfigDriftRunner"]
