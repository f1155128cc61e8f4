"""report: metrics/report.md and plots/*.png from every variant's metrics and curves."""

from tangshi.errors import run_main
from tangshi.params import load_params
from tangshi.reports.report import build_report


def main() -> None:
    print(build_report(load_params()["models"]))


if __name__ == "__main__":
    run_main(main)
