"""What ``proofgate explain RULE`` prints: a policy's rationale, fix hint, the params
it reads with their values in force, and its source; or what one of the engine's
own rules reports. The language server's hover shows the same text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.errors import ProofgateError

if TYPE_CHECKING:
    from ..config import Config
    from ..pack import PolicySet


def explain(policy_set: PolicySet, config: Config, rule_id: str) -> str:
    """The explanation of a rule or policy id of the configured ``policy_set``;
    raises ProofgateError (with a "did you mean") for an unknown id."""
    from ..core.params import fill
    from ..core.text import did_you_mean

    known = {c.rule: c for c in policy_set.program.clauses}
    by_policy = {p.id: p for p in policy_set.program.policies}
    policy = by_policy.get(rule_id) or (known[rule_id].policy if rule_id in known else None)
    engine_rule = policy_set.catalogue.engine_rule(rule_id)
    if policy is None and engine_rule is not None:
        from ..core.rules import ENGINE_RULE_DETAILS

        lines = [
            f"{engine_rule.id} ({engine_rule.severity})",
            "reported by: proofgate itself, not a policy (engine/core/rules.py)",
            f"why: {engine_rule.rationale}",
            f"fix: {engine_rule.fix}",
            "",
            ENGINE_RULE_DETAILS.get(engine_rule.id, ""),
        ]
        return "\n".join(lines) + "\n"
    if policy is None:
        names = [*known, *by_policy, *policy_set.catalogue.names()]
        close = did_you_mean(rule_id, names)
        hint = f"did you mean '{close}'?" if close else "'proofgate rules' lists the rule ids"
        raise ProofgateError(f"unknown rule '{rule_id}'", hint=hint)
    span = policy.span
    source = policy_set.sources[span.path].splitlines()[span.line - 1 : span.end_line]
    clauses = [c for c in policy_set.program.clauses if c.policy is policy]
    rules = sorted({c.rule for c in clauses})
    fixable = sorted({c.rule for c in clauses if c.clause.edits})
    lines = [
        f"{policy.id} ({policy.severity})",
        f"rules: {', '.join(rules)}",
        f"why: {fill(policy.rationale, policy_set.params)}",
        f"fix: {fill(policy.fix, policy_set.params)}",
        *([f"fixed by check --fix (the edit lines): {', '.join(fixable)}"] if fixable else []),
        *_params_in_force(policy_set, config, policy.id),
        f"source: {span.path}:{span.line}",
        "",
        *source,
    ]
    return "\n".join(lines) + "\n"


def _params_in_force(policy_set: PolicySet, config: Config, policy_id: str) -> list[str]:
    """The params the policy reads with their values, and where they are set."""
    from ..core.params import shown
    from ..core.text import shown_path
    from ..pack import params_read

    read = params_read(policy_set.program, policy_id)
    if not read:
        return []
    table = ".".join((*config.table, "params"))
    where = f"{shown_path(config.path)} [{table}]" if config.path else "[params] of .proofgate.toml"
    lines = [f"params in force (set in {where}):"]
    for name in read:
        given = name in config.settings.params or (
            name == "product_surfaces" and config.settings.primary_surface is not None
        )
        lines.append(f"  {name} = {shown(policy_set.params[name])}{'' if given else '  (default)'}")
    return lines
