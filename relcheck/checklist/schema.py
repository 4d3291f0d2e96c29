"""The checklist file format (version 1) as pydantic models.

Only loaded to validate a file or print its JSON Schema; the rest of relcheck works on
the frozen dataclasses of ``relcheck.models``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
)

from relcheck.durations import Duration

STEP_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,62}$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _env_name(value: str) -> str:
    if not re.fullmatch(ENV_NAME_PATTERN, value):
        raise ValueError(
            "expected an environment variable name (letters, digits and '_', not "
            f"starting with a digit), got {value!r}"
        )
    return value


EnvName = Annotated[
    str, Field(json_schema_extra={"pattern": ENV_NAME_PATTERN}), AfterValidator(_env_name)
]


# A shared service's name: also the name of its log file (<run>/services/<name>.log), so
# as plain as a step id.
ServiceName = Annotated[str, Field(pattern=STEP_ID_PATTERN)]


def _named_services(schema: dict[str, Any]) -> None:
    """JSON Schema's way to say it: every value a service, every name matching a
    pattern (pydantic writes a pattern property, which editors read as "any key")."""
    patterns = schema.pop("patternProperties", {})
    for pattern, value in patterns.items():
        schema["additionalProperties"] = value
        schema["propertyNames"] = {"pattern": pattern}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _env_names(value: dict[str, str]) -> dict[str, str]:
    """Names a process environment can hold: not empty, no ``=`` (``A=B`` would set ``A``)."""
    for name in value:
        if not name or "=" in name:
            raise ValueError(f"{name!r} is not an environment variable name (empty, or has '=')")
    return value


class ReleaseSpec(_Strict):
    """How the release tag is named and made."""

    tag: str = Field("v{version}", description="Tag name; {version} is replaced.")
    version_from: Literal["pyproject", "git-describe", "cli"] = Field(
        "pyproject", description="Where the version comes from."
    )
    branch: str | list[str] = Field(
        "main", description="Release branch: a name, a glob, or a list of them."
    )
    sign: bool = Field(False, description="Sign the tag (git tag -s), SSH or GPG as configured.")
    push: bool = Field(False, description="Push the tag to `remote` after creating it.")
    remote: str = Field(
        "origin",
        # Never an option to git push (--upload-pack=...), never whitespace.
        pattern=r"^[^-\s][^\s]*$",
        description="The remote to push the tag to.",
    )
    changelog: str | None = Field(
        "CHANGELOG.md", description="Changelog that must have a section for the version."
    )
    prerelease: bool = Field(
        False,
        description="Allow pre-release versions (1.2.0rc1, 2.0.0b2) to be released; "
        "development (.dev0) and local (+local) versions never are.",
    )


class DefaultsSpec(_Strict):
    """Defaults that apply to every step."""

    timeout: Duration = Field(Duration(600), description="Step timeout, e.g. 90s, 10m, 1h.")


class HookSpec(_Strict):
    """What a git pre-push hook checks."""

    branches: list[str] = Field(
        default_factory=list,
        description="Branch globs (or refs/... globs) whose push is checked (default: every "
        "branch and release tags).",
    )
    steps: list[str] = Field(
        default_factory=list,
        description="Step ids to run (default: every step but release steps and `when: "
        "release` steps).",
    )


class ServiceSpec(_Strict):
    """A service a step starts before it runs and stops afterwards."""

    run: str | list[str] = Field(
        min_length=1, description="The command; `{port}` becomes a free port (also $PORT)."
    )
    ready: str = Field(
        description="URL polled until it answers below 400, e.g. http://127.0.0.1:{port}/health."
    )
    ready_timeout: Duration = Field(Duration(30), description="How long to wait for `ready`.")
    stop_grace: Duration = Field(
        Duration(5), description="How long it may take to stop after SIGTERM before SIGKILL."
    )
    cwd: str | None = Field(None, description="Where to run it, relative to the repository.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")

    _env = field_validator("env")(_env_names)

    @field_validator("ready")
    @classmethod
    def _ready_is_a_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected a URL starting with http:// or https://, got {value!r}")
        return value


def _service_kind(value: Any) -> str:
    return "named" if isinstance(value, str) else "inline"


# A mapping is a service of the step's own; a string names one under `services:`. The
# discriminator keeps a mistake in a mapping from also being reported as "not a string".
ServiceRef = Annotated[
    Annotated[ServiceSpec, Tag("inline")] | Annotated[str, Tag("named")],
    Discriminator(_service_kind),
]
SERVICE_UNION_TAGS = ("inline", "named")


_RULE = r"^(no_drop|no_fewer|no_more|no_rise|[+-][0-9]+(\.[0-9]+)?%)$"


def _rule(value: str) -> str:
    import re

    if not re.match(_RULE, value):
        raise ValueError(f"expected no_drop, no_fewer, no_more, no_rise, +N% or -N%, got {value!r}")
    return value


Rule = Annotated[
    str,
    AfterValidator(_rule),
    Field(
        json_schema_extra={"pattern": _RULE},
        description="no_drop / no_fewer, no_more / no_rise, +N% or -N% against the "
        "previous release.",
    ),
]


class BaselineSpec(_Strict):
    """Regression gates: how the step's numbers may move since the previous release."""

    tests: Rule | None = Field(None, description="Tests collected (pytest).")
    passed: Rule | None = Field(None, description="Tests passed (pytest).")
    failed: Rule | None = Field(None, description="Tests failed (pytest).")
    skipped: Rule | None = Field(None, description="Tests skipped (pytest).")
    coverage: Rule | None = Field(None, description="Coverage percent (pytest).")
    findings: Rule | None = Field(None, description="Lint findings (ruff).")
    p50: Rule | None = Field(None, description="Median latency in ms (http).")
    p95: Rule | None = Field(None, description="95th percentile latency in ms (http).")
    keys_compared: Rule | None = Field(None, description="Config keys compared (config-drift).")
    drifted: Rule | None = Field(None, description="Config keys drifted (config-drift).")
    duration: Rule | None = Field(None, description="The step's duration.")
    first_release: Literal["pass", "fail"] = Field(
        "pass", description="What the gates do when there is no previous release to judge by."
    )


def _writes_glob(value: str) -> str:
    text = value.strip().removeprefix("./")
    if not text:
        raise ValueError("expected a path or glob of tracked files, got ''")
    if text.startswith("/") or ".." in text.split("/"):
        raise ValueError(f"expected a path inside the repository, got {value!r}")
    if text.strip("/") in ("**", "**/*", "*/**", "."):
        raise ValueError(
            f"{value!r} would let the step change every tracked file; name the files it writes"
        )
    return value


WritesGlob = Annotated[str, AfterValidator(_writes_glob)]


class StepSpec(_Strict):
    """One step of the checklist."""

    id: str = Field(pattern=STEP_ID_PATTERN, description="Unique, slug-like step id.")
    uses: str | None = Field(None, description="The runner; `run:` implies `command`.")
    run: str | list[str] | None = Field(
        None, description="Shorthand for `uses: command` with this command."
    )
    with_: dict[str, Any] = Field(
        default_factory=dict, alias="with", description="The runner's parameters."
    )
    name: str | None = Field(None, description="A readable name for output.")
    needs: list[str] = Field(default_factory=list, description="Steps that must pass first.")
    optional: bool = Field(False, description="Its failure is reported but does not block.")
    timeout: Duration | None = Field(None, description="Overrides defaults.timeout.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    owner: str | None = Field(None, description="Who to ask when it fails.")
    expect: str | None = Field(None, description="The expected result, shown on failure.")
    rollback: str | None = Field(None, description="The rollback note, kept beside the step.")
    retries: int = Field(0, ge=0, le=10, description="Extra attempts after a failure.")
    cache: bool | None = Field(None, description="Reuse an identical earlier pass.")
    inputs: list[str] = Field(
        default_factory=list, description="Globs of the files the result depends on."
    )
    cache_env: list[EnvName] = Field(
        default_factory=list,
        description="Environment variables whose values a cached pass depends on: "
        "a changed value runs the step again.",
    )
    service: ServiceRef | None = Field(
        None,
        description="A process to start before the step and stop after it, or the name "
        "of one under the checklist's `services:`.",
    )
    baseline: BaselineSpec | None = Field(
        None, description="Regression gates against the previous release's record."
    )
    writes: list[WritesGlob] = Field(
        default_factory=list,
        description="Globs of tracked files the step may change; any other change to a "
        "tracked file during the step fails it.",
    )

    when: Literal["always", "release"] = Field(
        "always",
        description="`release`: only for a release (a confirmation, a staging check); "
        "never run by the git hook, nor where the release is refused.",
    )

    _env = field_validator("env")(_env_names)

    @field_validator("inputs")
    @classmethod
    def _inputs_compile(cls, value: list[str]) -> list[str]:
        import re

        from relcheck.checklist.globs import glob_regex

        for pattern in value:
            try:
                glob_regex(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid glob: {exc}") from None
        return value


class ChecklistSpec(_Strict):
    """A relcheck checklist file."""

    version: Literal[1] = Field(description="Format version; this relcheck reads 1.")
    release: ReleaseSpec = Field(default_factory=ReleaseSpec)  # type: ignore[arg-type]
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)  # type: ignore[arg-type]
    hook: HookSpec = Field(default_factory=HookSpec)
    services: dict[ServiceName, ServiceSpec] = Field(
        default_factory=dict,
        description="Services shared by the steps that name them under `service:`.",
        json_schema_extra=_named_services,
    )
    secrets: list[str] = Field(
        default_factory=list, description="Environment variables whose values are masked."
    )
    steps: list[StepSpec] = Field(min_length=1, description="The steps, in order.")
