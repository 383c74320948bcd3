"""``preo-nb bulk-refund``: read the purchase ids, run the journaled refund, say what is left.

Exit codes: 0 all done; 2 some rows still pending or sent (run the same command again);
3 the rest were refused by Preo (running again changes nothing); 1 nothing ran.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import preo_nb
from preo_nb._limiter import page_workers_for
from preo_nb.config import DEFAULT_PAGE_WORKERS
from preo_nb.errors import UsageError


def bulk_refund(args: argparse.Namespace) -> int:
    """Run ``preo-nb bulk-refund`` with its parsed arguments; return the exit code."""
    from preo_nb import bulk

    ids = read_ids(args.purchases)
    # Connections enough for the requests in flight asked for (the client holds twice page_workers).
    workers = None if not args.workers else max(DEFAULT_PAGE_WORKERS, page_workers_for(args.workers))
    preo = preo_nb.connect(page_workers=workers)
    print(f"Refunding {len(ids)} purchases ({args.reason}) on {preo.settings.base_url}; journal {args.journal}")
    journal = bulk.refund_purchases(
        preo,
        ids,
        reason=args.reason,
        scope=args.scope,
        amount=args.amount,
        comment=args.comment,
        edition_id=args.edition_id,
        organization_id=args.organization_id,
        journal=args.journal,
        workers=args.workers,
        settle={pid: None if rid.lower() == "none" else rid for pid, rid in args.settle or ()},
    )
    if len(ours := journal[journal["purchase_id"].isin(ids)]) < len(journal):
        print(f"The journal holds {len(journal) - len(ours)} more purchases, not in this list: left as they are.")
        journal = ours.reset_index(drop=True)
    print(*bulk.summary(journal), sep="\n")
    unfinished = int(journal["state"].isin(["pending", "sent"]).sum())
    failed = int((journal["state"] == "failed").sum())
    if unfinished:
        print(
            f"Not finished: {unfinished} of {len(journal)} purchases. See the reasons above, then run the same "
            "command again to continue; the journal makes sure nothing is refunded twice."
        )
        return 2
    if failed:
        print(
            f"Not refunded: {failed} of {len(journal)} purchases, refused by Preo for the reasons above (each "
            f"row's error is in the journal). Running again will not change them."
        )
        return 3
    return 0


ID_COLUMNS = ("api_id", "purchase_id", "id")  # in order of preference


def read_ids(path: Path) -> list[str]:
    """Read purchase ids: a CSV whose header names the id column (``ID_COLUMNS``), or one id per line.

    Raises:
        UsageError: No file, no recognisable id column (the columns found are named), or no ids.
    """
    import pandas as pd

    if not path.is_file():
        raise UsageError(f"no file at {path}")
    try:
        table = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        table = pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is neither a CSV nor a list of ids: {exc}") from None
    if table.empty:
        raise UsageError(f"{path} holds no purchase ids")
    header = [str(name).strip() for name in table.iloc[0]]
    column = _id_column(path, header)
    values = table[0] if column is None else table.iloc[1:, column]
    ids = [value.strip() for value in values if value.strip()]
    if not ids:
        raise UsageError(f"{path} holds no purchase ids")
    return ids


def _id_column(path: Path, header: list[str]) -> int | None:
    """The position of the id column named in ``header``; None when the file is a plain list of ids."""
    from preo_nb.checks import ID_PATTERN

    names = [name.lower() for name in header]
    for wanted in ID_COLUMNS:
        found = [n for n, name in enumerate(names) if name == wanted]
        others = [
            h
            for h, name in zip(header, names, strict=True)
            if name != wanted and name.endswith(("api_id", "purchase_id"))
        ]
        if len(found) > 1 or (found and wanted == "id" and others):
            clash = ", ".join(header[n] for n in found) + "".join(f", {h}" for h in others)
            raise UsageError(
                f"{path}: more than one column could hold the purchase ids ({clash}); "
                "keep one, or name the right one purchase_id"
            )
        if found:
            return found[0]
    if len(header) == 1 and ID_PATTERN.fullmatch(header[0]):
        return None
    raise UsageError(
        f"{path}: no purchase id column; the columns found are {', '.join(header)}. "
        "Name the column of purchase ids api_id, purchase_id or id, or give one id per line."
    )
