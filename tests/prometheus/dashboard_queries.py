"""The PromQL of dashboards/custody.json as Grafana would send it.

Shared by run-prometheus-test.py (a Prometheus on the host scraping the metrics feed)
and tests/vm/check-prometheus-live.py (a Prometheus in a guest scraping the daemon).
"""
import json
import math
import re

# What Grafana would put in for its built-in variables, for a 1 s scrape interval.
GRAFANA_VARIABLES = {"__rate_interval": "30s", "__range": "2m", "__interval": "1s"}

_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


class UndefinedVariable(Exception):
    pass


def substitute(expr, variables):
    """expr with every $name / ${name} replaced from variables."""

    def replace(match):
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise UndefinedVariable(f"undefined dashboard variable ${name} in {expr}")
        return variables[name]

    return _VARIABLE.sub(replace, expr)


def variables_for(instance):
    """Grafana's built-ins plus the dashboard's own variables, $instance resolved."""
    return dict(GRAFANA_VARIABLES, instance=instance, datasource="prometheus")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def targets(dashboard):
    """(panel, target) for every query target, in file order (rows have none)."""
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel, target


def finite_values(result):
    """The finite sample values of an instant (vector) or range (matrix) result."""
    values = []
    for sample in result:
        if "value" in sample:
            values.append(float(sample["value"][1]))
        for _, value in sample.get("values", []):
            values.append(float(value))
    return [v for v in values if math.isfinite(v)]
