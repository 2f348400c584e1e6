"""`eligibility`: screen residence-permit eligibility under utlendingsloven §§ 40, 41, 53 and 62.

Exit codes: 0 screened, 2 invalid input (case file, options or rule files), 1 internal error;
`batch` exits 3 when it completed but some cases failed (each recorded with its error); 141 (as
a program killed by SIGPIPE) when the reader of standard output went away, e.g. `| head -1`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from eligibility import __version__
from eligibility.model.atomic import write_atomically

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2
EXIT_CASES_FAILED = 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what the shell reports for `yes | head -1`


def _fail(message: str, code: int, lang: str = "en") -> None:
    click.echo(f"{'feil' if lang == 'nb' else 'error'}: {message}", err=True)
    sys.exit(code)


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn known errors into a clear message and exit code instead of a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from eligibility.engine.adapter import EngineError
        from eligibility.model.loader import InputError
        from eligibility.law.rulebook import RuleFileError

        try:
            result = fn(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
            return result
        except InputError as exc:  # worded in the command's --lang where it has one (screen, summary)
            lang = kwargs.get("lang") or "en"
            _fail(exc.worded(lang), EXIT_INPUT, lang)
        except RuleFileError as exc:
            _fail(f"rule file refused: {exc}", EXIT_INPUT)
        except EngineError as exc:
            _fail(f"internal error in the rule engine: {exc}", EXIT_INTERNAL)
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, nothing left to say
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so Python's flush at
            except (OSError, ValueError):  # exit cannot fail again (a stdout without a descriptor: none)
                pass
            sys.exit(EXIT_BROKEN_PIPE)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - never a traceback for the user
            if os.environ.get("ELIGIBILITY_DEBUG"):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (set ELIGIBILITY_DEBUG=1 for details)",
                  EXIT_INTERNAL)

    return wrapper


class _RefusedOption(click.BadParameter):
    """An option value refused in the command's --lang: click words it in English ('Invalid value for
    ...'), so under nb the whole message is ours. Click's own usage errors ('No such option') stay click's."""

    def __init__(self, ctx: Any, param: Any, key: str, **args: Any) -> None:
        from eligibility.model.texts import word

        self.lang = (ctx.params.get("lang") if ctx is not None else None) or "en"
        super().__init__(word(key, self.lang, "input").format(**args), ctx, param)

    def show(self, file: Any = None) -> None:
        if self.lang != "nb" or self.ctx is None or self.param is None:
            return super().show(file)
        name = self.param.opts[0] if self.param.opts else self.param.name
        click.echo(f"feil: ugyldig verdi for {name}: {self.message}\n"
                   f"Se '{self.ctx.command_path} --help'.", err=True)


def _date(ctx: Any, param: Any, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _RefusedOption(ctx, param, "not_a_date", value=value) from None


def _law_date(ctx: Any, param: Any, value: str | None) -> dt.date | None:
    """--as-of: a date whose law the rulebook holds (2010-01-01 to 2100-12-31)."""
    from pydantic_core import PydanticCustomError

    from eligibility.model.case import law_date

    day = _date(ctx, param, value)
    try:
        return law_date(day) if day is not None else None
    except PydanticCustomError as exc:
        raise _RefusedOption(ctx, param, exc.type, **(exc.context or {})) from None


def _target(ctx: Any, param: Any, value: Path | None) -> Path | None:
    """A file to write: its folder must exist (checked before any work is done)."""
    if value is not None and not value.absolute().parent.is_dir():
        raise _RefusedOption(ctx, param, "no_target_folder", value=value)
    return value


def examples(*lines: str) -> str:
    """An --help epilog: example command lines, kept as written (click's \\b)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


RULES_HELP = "Rules directory (default: the shipped rules, or $ELIGIBILITY_RULES)."


def _version_text() -> str:
    """The program's version and the rules' (read without validating them: `--version` is quick)."""
    try:
        from eligibility.law.ruledigest import rules_identity

        version, digest = rules_identity()
        return f"eligibility {__version__}, rules {version} (sha256 {digest[:12]})"
    except Exception:  # noqa: BLE001 - the version must print even with broken rules
        return f"eligibility {__version__}"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=examples("eligibility screen case.yaml --format brief",
                             "eligibility template --format csv -o clinic.csv",
                             "eligibility batch clinic.csv --out results.sqlite && eligibility summary results.sqlite",
                             "eligibility screen --help  (every command has examples)",
                             "",
                             "Shell completion (bash; zsh and fish alike): add to ~/.bashrc",
                             '  eval "$(_ELIGIBILITY_COMPLETE=bash_source eligibility)"'))
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _p, v: (click.echo(_version_text()), ctx.exit()) if v else None,
              help="Show the program and rules versions and exit.")
@click.option("--no-cache", is_flag=True,
              help="Compile the law afresh instead of reading compiled law epochs from the cache "
                   "(~/.cache/eligibility, or $ELIGIBILITY_CACHE_DIR; empty turns it off).")
@click.pass_context
def main(ctx: click.Context, no_cache: bool) -> None:
    """Screen residence-permit eligibility under the Norwegian Immigration Act
    (utlendingsloven §§ 40, 41, 53 and 62).

    Every verdict says which rules it rests on and which facts are missing. It is a screening,
    not a decision: seek legal advice.
    """
    ctx.ensure_object(dict)
    if no_cache:  # through the environment, so that batch workers see it too (ADR 0014)
        os.environ["ELIGIBILITY_CACHE_DIR"] = ""


@main.command(epilog=examples("eligibility screen case.yaml",
                              "eligibility screen case.yaml --format brief          # to read aloud",
                              "eligibility screen case.yaml --lang en --only utl-53-1-b",
                              "eligibility screen case.yaml --format html -o case.html --receipt case.receipt.json",
                              "cat case.json | eligibility screen - --format json"))
@click.argument("case", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--as-of", "as_of", callback=_law_date, metavar="DATE",
              help="Apply the law as of this date (default: the case's assessment_date, else today).")
@click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True, is_eager=True,
              help="Language of the explanation.")
@click.option("--format", "fmt", type=click.Choice(["text", "brief", "json", "markdown", "html"]), default="text",
              show_default=True, help="Output format (brief: warnings, next steps and one line per provision, for "
                                      "reading aloud; html: a printable, self-contained page with the why-tree).")
@click.option("--only", "only", multiple=True, metavar="PROVISION",
              help="Show only this provision, in full (repeatable), e.g. --only utl-53-1-b. Warnings and next "
                   "steps are always shown.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), callback=_target,
              help="Write to this file (atomically) instead of standard output.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Rules directory (default: the shipped rules, or $ELIGIBILITY_RULES).")
@click.option("--receipt", type=click.Path(dir_okay=False, writable=True, path_type=Path), callback=_target,
              help="Also write a decision receipt (canonical JSON an auditor can verify) to this file.")
@_guarded
def screen(case: str, as_of: dt.date | None, lang: str, fmt: str, only: tuple[str, ...], output: Path | None,
           rules_dir: Path | None, receipt: Path | None) -> None:
    """Screen one CASE file (YAML or JSON; '-' reads standard input).

    The output starts with what to do: safety warnings, then next steps by urgency, then the
    provisions (§ 53 first; the others that are not met in one line each unless named with --only)."""
    from eligibility.model.loader import InputError, load_case_file
    from eligibility.explain.render import RENDERERS, UnknownProvision, only as select
    from eligibility.explain.screening import Screener

    case_obj = load_case_file(case, lang=lang)
    screener = Screener(rules_dir)
    verdict = screener.screen(case_obj, as_of=as_of, lang=lang)
    if receipt:
        from eligibility.audit import canonical, make_receipt

        write_atomically(receipt, canonical(make_receipt(screener.book, case_obj, verdict)) + "\n")
    if only:
        try:
            verdict = select(verdict, only)
        except UnknownProvision as exc:  # in the command's --lang, like every input error
            raise InputError("--only", "no_provision", unknown=", ".join(exc.unknown), known=", ".join(exc.known)) from None
        text = RENDERERS[fmt](verdict) if fmt in ("json", "brief") else RENDERERS[fmt](verdict, folded=False)
    else:
        text = RENDERERS[fmt](verdict)
    if output:
        write_atomically(output, text)
    else:
        click.echo(text, nl=False)


@main.command(epilog=examples("eligibility schema -o case.schema.json"))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), callback=_target,
              help="Write to this file instead of standard output.")
@_guarded
def schema(output: Path | None) -> None:
    """Print the JSON Schema of a case file (for editors and validators)."""
    from eligibility.model.case import Case

    document = Case.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "eligibility case file"
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if output:
        write_atomically(output, text)
    else:
        click.echo(text, nl=False)


@main.command(epilog=examples("eligibility template > case.yaml",
                              "eligibility template --format csv -o clinic.csv   # open in Excel, one case per row",
                              "eligibility template --lang en --format csv"))
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]), default="yaml", show_default=True,
              help="yaml: one case file, every field commented out with its question; csv: a header row with "
                   "every column and a row of questions (rows starting with # are not read).")
@click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True, is_eager=True,
              help="Language of the questions (csv: nb is semicolon-separated, as Excel in Norwegian settings "
                   "opens it).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), callback=_target,
              help="Write to this file (atomically) instead of standard output.")
@_guarded
def template(fmt: str, lang: str, output: Path | None) -> None:
    """Write an empty case to fill in: every field of the case with the question it answers. What
    is left out is unknown, never 'no'."""
    from eligibility.model.template import csv_template, yaml_template

    text = csv_template(lang) if fmt == "csv" else yaml_template(lang)
    if output:
        write_atomically(output, text)
    else:
        click.echo(text, nl=False)


@main.command(epilog=examples("eligibility services", "eligibility services --lang en --format json"))
@click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True, is_eager=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Rules directory (default: the shipped rules).")
@_guarded
def services(lang: str, fmt: str, rules_dir: Path | None) -> None:
    """List the catalogue of services that referrals point to."""
    from eligibility.law.rulebook import load_rulebook

    book = load_rulebook(rules_dir)
    entries = []
    for service in book.services.values():
        law = service.basis.law or "utlendingsloven"
        basis = book.cite_source(service.basis, lang, law)
        entries.append({"id": service.id, "name": service.name.get(lang), "does": service.does.get(lang),
                        "contact": service.contact.get(lang), "cost": service.cost.get(lang),
                        "referral_needed": service.referral_needed, "basis": basis})
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2, ensure_ascii=False, sort_keys=True))
        return
    for e in entries:
        click.echo(f"{e['name']} [{e['id']}]\n  {e['does']}\n  {e['contact']} · {e['cost']} · {e['basis']}\n")


@main.command(epilog=examples("eligibility batch cases/ --out results.sqlite",
                              "eligibility batch clinic.csv --out results.sqlite --workers 2 --id-pattern 'K-\\d{8}'",
                              "eligibility batch cases.jsonl --out verdicts.csv --format csv",
                              "eligibility batch cases/ --out results.sqlite   # again: resumes, skips what is done"))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="INPUT...")
@click.option("--out", "-o", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              callback=_target,
              help="Results: a SQLite file (created, or resumed if it exists; a results file of an older version is refused); with --format jsonl|csv the "
                   "export, and the SQLite results go to OUT.sqlite.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (1: screen in this process).")
@click.option("--as-of", "as_of", callback=_law_date, metavar="DATE",
              help="Apply the law as of this date (default: each case's assessment_date, else today).")
@click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True, is_eager=True,
              help="Language of the explanations.")
@click.option("--format", "fmt", type=click.Choice(["sqlite", "jsonl", "csv"]), default="sqlite",
              show_default=True, help="sqlite: the results file; jsonl: one verdict per line (without its trace: `eligibility receipt` gives it); csv: one row "
                                      "per case with each provision's status (both in input order).")
@click.option("--allow-identifiers", is_flag=True,
              help="Screen cases even if they seem to hold national identity numbers, D-numbers, phone numbers, "
                   "e-mail addresses or free text (recorded in the results). Default: refuse them.")
@click.option("--id-pattern", "id_pattern", metavar="REGEX",
              help="Your clinic's case numbering, e.g. 'K-\\d{8}': a case_id matching it in full is never "
                   "refused as a phone number (identity numbers and e-mail addresses still are).")
@click.option("--engine", type=click.Choice(["durable", "python"]), default="durable", show_default=True,
              help="Rule engine: durable_rules, or the plain-Python evaluator of the same compiled rules.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Rules directory (default: the shipped rules, or $ELIGIBILITY_RULES).")
@click.option("--receipts", type=click.Choice(["none", "full"]), default="none", show_default=True,
              help="full: build and store each case's decision receipt in the run; none: regenerate a receipt "
                   "when asked (`eligibility receipt`) from the case and rulebook the results file keeps.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no report on standard error.")
@_guarded
def batch(inputs: tuple[Path, ...], out: Path, workers: int, as_of: dt.date | None, lang: str, fmt: str,
          allow_identifiers: bool, id_pattern: str | None, engine: str, rules_dir: Path | None, receipts: str,
          quiet: bool) -> None:
    """Screen many cases: folders of YAML/JSON case files, JSON Lines files (one case per line)
    and CSV files (one case per row, columns named by dotted paths such as relationship.type or
    permits.0.basis).

    A case that cannot be read, holds personal identifiers or fails is recorded with its error
    and the run goes on. Running again with the same --out skips the cases already screened
    (same case, rules, language and date) and completes the rest.

    Exit codes: 0 every case screened, 3 some cases failed, 2 unusable input or options, 1 internal
    error.
    """
    from eligibility.batch import check_targets, export_csv, export_jsonl, run_batch, store_for

    store = store_for(out, fmt)
    check_targets(list(inputs), [out, store])
    report = run_batch(list(inputs), store, workers=workers, as_of=as_of, lang=lang,
                       allow_identifiers=allow_identifiers, id_pattern=id_pattern, engine=engine, rules_dir=rules_dir,
                       progress=not quiet and sys.stderr.isatty(), receipts=receipts)
    if fmt == "jsonl":
        export_jsonl(store, out, report.inputs)
    elif fmt == "csv":
        export_csv(store, out, report.inputs)
    if not quiet:
        for f in report.failures[:10]:
            click.echo(f"failed: {f.where}: {f.path + ': ' if f.path else ''}{f.message}", err=True)
        if report.failed > 10:
            click.echo(f"... and {report.failed - 10} more failed case(s): eligibility summary {store}", err=True)
        click.echo(f"{report.total} cases: {report.screened} screened, {report.skipped} already done, "
                   f"{report.failed} failed, in {report.seconds:.1f} s ({report.rate:,.0f}/s) -> {out}"
                   + (f" (results {store})" if store != out else "")
                   + (" [identifiers allowed]" if allow_identifiers else ""), err=True)
    sys.exit(EXIT_CASES_FAILED if report.failed else EXIT_OK)


@main.command(epilog=examples("eligibility summary results.sqlite",
                              "eligibility summary results.sqlite --format html -o summary.html"))
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default="text",
              show_default=True, help="html: one self-contained file with a bar chart (no network).")
@click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True, is_eager=True,
              help="Language of the report's headings.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), callback=_target,
              help="Write to this file (atomically) instead of standard output.")
@_guarded
def summary(results: Path, fmt: str, lang: str, output: Path | None) -> None:
    """Summarise a RESULTS file of `eligibility batch`: statuses per provision, the cases that
    likely qualify under § 53 first paragraph (b), those that need a lawyer's assessment, the
    missing facts, referrals by service and failures."""
    from eligibility.model.loader import InputError
    from eligibility.batch.summary import RENDERERS, build_summary

    try:
        data = build_summary(results, lang)
    except InputError:
        sibling = Path(str(results) + ".sqlite")
        if sibling.exists():
            raise InputError(str(results), "is_an_export", sibling=sibling) from None
        raise
    text = RENDERERS[fmt](data, lang)
    if output:
        write_atomically(output, text)
    else:
        click.echo(text, nl=False)


@main.command(epilog=examples("eligibility receipt results.sqlite sak-0001 -o sak-0001.receipt.json",
                              "eligibility receipt results.sqlite --all --to receipts/",
                              "eligibility verify receipts/*.json --rules receipts/rules-<digest>/"))
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("case_id", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), callback=_target,
              help="Write the receipt to this file (atomically) instead of standard output.")
@click.option("--all", "all_cases", is_flag=True, help="Every screened case's receipt, into the folder --to.")
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path), metavar="FOLDER",
              help="With --all: one FILE.receipt.json per case, and each rulebook as rules-<digest>/.")
@_guarded
def receipt(results: Path, case_id: str | None, output: Path | None, all_cases: bool, folder: Path | None) -> None:
    """The decision receipt of CASE_ID (its case id, or its key source#case_id) in a RESULTS file
    of `eligibility batch`, regenerated from the stored case and the rulebook it was screened with
    (kept in the results file, so the rules on disk may have changed since). `eligibility verify`
    replays it."""
    from eligibility.model.loader import InputError

    if all_cases:
        if case_id is not None or output is not None:
            raise InputError("--all", "all_alone")
        if folder is None:
            raise InputError("--to", "to_folder")
        _receipts_to(results, folder)
        return
    if case_id is None:
        raise InputError("CASE_ID", "case_id_needed")
    text = _one_receipt(results, case_id)
    if output:
        write_atomically(output, text + "\n")
    else:
        click.echo(text)


def _one_receipt(results: Path, case_id: str) -> str:
    """The receipt of one case of a results file (by case id or key): InputError if none or many."""
    from eligibility.batch.replay import Replay, case_keys
    from eligibility.batch.store import open_results
    from eligibility.model.loader import InputError

    con = open_results(results, create=False)
    try:
        replay = Replay(con, str(results))
        keys = case_keys(con, case_id)
        if not keys:
            raise InputError(case_id, "no_screened_case", results=results)
        if len(keys) > 1:
            raise InputError(case_id, "several_cases", keys=", ".join(keys[:5]))
        return replay.receipt_json(keys[0])
    finally:
        con.close()


def _receipts_to(results: Path, folder: Path) -> None:
    from eligibility.batch.replay import export_receipts
    from eligibility.model.loader import InputError

    if folder.exists() and not folder.is_dir():
        raise InputError(str(folder), "file_not_folder")
    n = sum(1 for _ in export_receipts(results, folder))
    rulebooks = sorted(p.name for p in folder.glob("rules-*") if p.is_dir())
    click.echo(f"{n} receipts -> {folder} (rules: {', '.join(rulebooks)})", err=True)


@main.command(epilog=examples("eligibility verify case.receipt.json", "eligibility verify receipts/*.json --rules rules/"))
@click.argument("receipts", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Rules directory to verify against (default: the shipped rules).")
@_guarded
def verify(receipts: tuple[Path, ...], rules_dir: Path | None) -> None:
    """Re-run each RECEIPT under the rulebook it names: identical, differs (saying what),
    rulebook-unavailable, unsupported (a version-1 receipt), or malformed receipt. Exit 0 only if
    every receipt is identical, else 3."""
    from eligibility.audit import MalformedReceipt, Verification, read_receipt, verify_receipt
    from eligibility.explain.screening import Screener

    screener = Screener(rules_dir)
    results = []
    for path in receipts:
        try:
            data = read_receipt(path)
        except MalformedReceipt as exc:
            results.append(Verification(str(path), "malformed", str(exc)))
            continue
        except OSError as exc:
            results.append(Verification(str(path), "unreadable", exc.strerror or type(exc).__name__))
            continue
        results.append(verify_receipt(data, screener, str(path)))
    for r in results:
        click.echo(f"{r.source}: {r.label}: {r.detail}")
    if not all(r.ok for r in results):
        sys.exit(3)


def _load_cases(paths: tuple[Path, ...]) -> list[Any]:
    from eligibility.model.loader import load_case_file

    files: list[Path] = []
    for path in paths:
        files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
                     if path.is_dir() else [path])
    return [load_case_file(f) for f in files]


@main.command(epilog=examples("eligibility diff cases/ --from 2024-01-01 --to 2026-12-01",
                              "eligibility diff case.yaml --from 2024-01-01 --to 2026-12-01 --format json"))
@click.argument("cases", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--from", "before", required=True, callback=_date, metavar="DATE", help="The earlier law date.")
@click.option("--to", "after", required=True, callback=_date, metavar="DATE", help="The later law date.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), help=RULES_HELP)
@_guarded
def diff(cases: tuple[Path, ...], before: dt.date, after: dt.date, fmt: str, rules_dir: Path | None) -> None:
    """Law-change impact: assess the same CASES (files or folders) under the law of two dates and
    list the verdicts that change, with the rule versions behind each change."""
    from dataclasses import asdict

    from eligibility.audit import law_change
    from eligibility.explain.screening import Screener

    changes = law_change(Screener(rules_dir), _load_cases(cases), before, after)
    if fmt == "json":
        click.echo(json.dumps([asdict(c) for c in changes], indent=2, ensure_ascii=False, sort_keys=True))
        return
    for c in changes:
        click.echo(f"{c.case_id}: {c.provision}: {c.before} -> {c.after}  ({', '.join(c.rules) or 'facts measured by date'})")
    click.echo(f"{len(changes)} verdict(s) changed in {len({c.case_id for c in changes})} case(s) between {before} and {after}")


def _law_sources(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """`--notes` alone means the law-sources document beside the rules in use."""
    if value is None:
        return None
    from eligibility.law.rulebook import law_sources_path

    path = Path(value) if value else law_sources_path(ctx.params.get("rules_dir"))
    if not path.is_file():
        raise click.BadParameter(f"'{path}': no such file", ctx, param)
    return path


@main.command(epilog=examples("eligibility coverage cases/", "eligibility coverage cases/ --notes --format json",
                              "eligibility coverage cases/ --rules my-rules/ --notes"))
@click.argument("cases", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--notes", type=click.Path(dir_okay=False), is_flag=False, flag_value="", callback=_law_sources,
              metavar="[FILE]", help="Also list the atomic condition ids of the law notes that no rule covers "
              "(FILE default: the law-sources document shipped with the rules).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), is_eager=True,
              help=RULES_HELP + " --notes alone reads the law-sources document beside them.")
@_guarded
def coverage(cases: tuple[Path, ...], notes: Path | None, fmt: str, rules_dir: Path | None) -> None:
    """Coverage in statutory units: for each atomic condition and each section/paragraph/letter,
    how the rules came out over CASES (files or folders), and what was never exercised."""
    from eligibility.audit import coverage as measure
    from eligibility.explain.screening import Screener

    report = measure(Screener(rules_dir), [(c, None) for c in _load_cases(cases)], notes)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True))
        return
    click.echo(f"{report['cases']} cases (counts are rule evaluations)")
    click.echo(f"{'unit':<60} {'met':>5} {'not':>5} {'unk':>5} {'ass':>5}")
    for title, table in (("atomic conditions", report["conditions"]), ("provision units", report["units"])):
        click.echo(f"-- {title}")
        for key, c in table.items():
            click.echo(f"{key:<60} {c['met']:>5} {c['not_met']:>5} {c['undetermined']:>5} {c['needs_assessment']:>5}")
    click.echo(f"never exercised: {', '.join(report['never_exercised']) or '-'}")
    if "not_in_any_rule" in report:
        click.echo(f"in the law notes but in no rule: {', '.join(report['not_in_any_rule']) or '-'}")


@main.group(epilog=examples("eligibility rules list --on 2026-12-01", "eligibility rules show utl-53-1-b",
                            "eligibility rules graph --format mermaid", "eligibility rules check --rules my-rules/",
                            "eligibility rules lint"))
def rules() -> None:
    """Inspect the rulebook."""


@rules.command("list", epilog=examples("eligibility rules list", "eligibility rules list --on 2026-12-01 --lang en"))
@click.option("--on", "day", callback=_date, metavar="DATE", help="Only the rules in force on this date.")
@click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True, is_eager=True)
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), help=RULES_HELP)
@_guarded
def rules_list(day: dt.date | None, lang: str, rules_dir: Path | None) -> None:
    """List the rules (every version, or those in force on a date) with their citation."""
    from eligibility.law.rulebook import load_rulebook

    book = load_rulebook(rules_dir)
    for node_id, versions in sorted(book.versions.items()):
        for node in versions:
            if day and not node.in_force(day):
                continue
            until = node.valid_to.isoformat() if node.valid_to else ""
            click.echo(f"{node.key:<60} {node.valid_from}..{until:<10} {book.cite(node, lang)}")
            if node.source.quote:
                click.echo(f"    {_quoted(node.source.quote, node.source.confidence, lang)}")


def _quoted(text: str, confidence: str, lang: str) -> str:
    """«statute text» on one line; anything else marked as the project's summary, not the law."""
    text = " ".join(text.split())
    if confidence == "LAW-TEXT":
        return f"«{text}»"
    return f"({'sammendrag, ikke lovtekst' if lang == 'nb' else 'paraphrase, not statute text'}) {text}"


@rules.command("show", epilog=examples("eligibility rules show utl-53-1-b", "eligibility rules show utl-53-1-b --rules my-rules/"))
@click.argument("rule_id")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), help=RULES_HELP)
@_guarded
def rules_show(rule_id: str, rules_dir: Path | None) -> None:
    """Show every version of one rule as stored (YAML)."""
    import yaml

    from eligibility.law.rulebook import load_rulebook

    book = load_rulebook(rules_dir)
    if rule_id not in book.versions:
        _fail(f"no rule '{rule_id}' (see `eligibility rules list`)", EXIT_INPUT)
    for node in book.versions[rule_id]:
        click.echo(f"# {book.unit_of[node.key].unit}.yaml: {book.cite(node, 'nb')}")
        click.echo(yaml.safe_dump(node.model_dump(mode="json", exclude_none=True), allow_unicode=True, sort_keys=False))


@rules.command("graph", epilog=examples("eligibility rules graph | dot -Tsvg > rules.svg",
                                       "eligibility rules graph --on 2026-12-01 --format mermaid"))
@click.option("--on", "day", callback=_date, metavar="DATE", help="The law as of this date (default: today).")
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot", show_default=True)
@click.option("--provision", metavar="ID", help="Draw only this rule (e.g. utl-53-1-b) and what it rests on.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path), help=RULES_HELP)
@_guarded
def rules_graph(day: dt.date | None, fmt: str, provision: str | None, rules_dir: Path | None) -> None:
    """The dependency graph of rules and the facts they read (Graphviz DOT or Mermaid)."""
    from eligibility.audit import UnknownNode, graph
    from eligibility.law.rulebook import load_rulebook

    try:
        click.echo(graph(load_rulebook(rules_dir), day or dt.date.today(), fmt, provision), nl=False)
    except UnknownNode as exc:
        _fail(str(exc), EXIT_INPUT)


@rules.command("lint", epilog=examples("eligibility rules lint", "eligibility rules lint --rules my-rules/"))
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Rules directory (default: the shipped rules).")
@_guarded
def rules_lint(rules_dir: Path | None) -> None:
    """Everything `check` refuses, plus gaps between versions of a rule and rules nothing uses.
    Exit 3 when it finds something."""
    from eligibility.audit import lint
    from eligibility.law.rulebook import load_rulebook

    problems = lint(load_rulebook(rules_dir))
    for p in problems:
        click.echo(p)
    click.echo(f"{len(problems)} problem(s)")
    if problems:
        sys.exit(3)


@rules.command("check", epilog=examples("eligibility rules check", "eligibility rules check --rules my-rules/ --on 2027-01-01"))
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Rules directory (default: the shipped rules).")
@click.option("--on", "dates", multiple=True, callback=lambda c, p, v: [_date(c, p, d) for d in v],
              metavar="DATE", help="Also compile the law as of this date (repeatable).")
@_guarded
def rules_check(rules_dir: Path | None, dates: list[dt.date]) -> None:
    """Validate every rule file and compile the rules for each date the law changed."""
    from eligibility.law.compiler import compile_rulebook
    from eligibility.law.rulebook import load_rulebook

    book = load_rulebook(rules_dir)
    days = sorted(set(book.change_dates()) | set(dates) | {dt.date.today()})
    for day in days:
        compiled = compile_rulebook(book, day)
        provisions = sorted(n for n, node in compiled.nodes.items() if node.provision)
        click.echo(f"{day}: {len(compiled.nodes)} rules, {len(compiled.definition)} engine rules; "
                   f"provisions: {', '.join(provisions) or '-'}")
    click.echo(f"ok: rules {book.version}, {sum(len(v) for v in book.versions.values())} rule versions "
               f"in {len(book.files)} files, sha256 {book.digest}")


@main.command(epilog=examples("eligibility interview --lang nb", "eligibility interview cases/53-facts-missing.yaml",
                              "eligibility interview --id k-17 --resume",
                              "eligibility interview --id k-17 --export k-17.yaml",
                              "eligibility interview --answers answers.txt --lang en"))
@click.argument("case", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True, is_eager=True,
              help="Language of the questions and the screening.")
@click.option("--id", "interview_id", metavar="ID",
              help="Name of the interview (default: the CASE's case_id, else one made from the time).")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), callback=_target, metavar="FILE",
              help="Keep the journal in FILE (default: a per-user folder, never the working directory).")
@click.option("--answers", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="Read the answers from FILE, one a line (standard input is read this way when it is not a "
                   "terminal).")
@click.option("--as-of", "as_of", callback=_law_date, metavar="DATE",
              help="Apply the law as of this date (default: the CASE's assessment_date, else today).")
@click.option("--resume", is_flag=True, help="Continue the interview kept in the journal.")
@click.option("--export", type=click.Path(dir_okay=False, path_type=Path), callback=_target, metavar="FILE",
              help="Write the case file the journal makes (for screen and batch) and stop.")
@click.option("--forget", "forget", metavar="ID", help="Delete the journal of interview ID and stop.")
@click.option("--receipt", type=click.Path(dir_okay=False, path_type=Path), callback=_target, metavar="FILE",
              help="With --export or at the end: write the screening's receipt, with the journal's sha256.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Rules directory (default: the shipped rules, or $ELIGIBILITY_RULES).")
@_guarded
def interview(case: str | None, lang: str, interview_id: str | None, save: Path | None, answers: Any,
              as_of: dt.date | None, resume: bool, export: Path | None, forget: str | None,
              receipt: Path | None, rules_dir: Path | None) -> None:
    """Screen a case by asking only the questions that can still change the result, safety first.

    Start from nothing or from a CASE file. Every answer is kept in a journal at once; q, Ctrl-C or
    Ctrl-D stops and keeps it, --resume continues. Answer with the number of a choice, ? (don't
    know) or - (won't say); 'back' undoes the last answer, 'why' says why a question is asked."""
    from eligibility.interview.dialogue import conduct

    code = conduct(case=case, lang=lang, interview_id=interview_id, save=save, answers=answers, as_of=as_of,
                   resume=resume, export=export, forget=forget, rules_dir=rules_dir, echo=click.echo,
                   receipt=receipt)
    if code:
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
