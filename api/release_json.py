"""Releases, deploys and commits in Sentry's API shapes (what sentry-cli reads)."""

from api.serializers import iso, organization_json, project_json
from issues.models import Deploy, Release
from issues.releases import ReleaseStats

Json = dict


def release_json(
    version: str, rows: list[Release], stats: dict[int, ReleaseStats], deploys: dict[int, list]
) -> Json:
    """One version across the caller's projects: earliest dates, summed counts."""
    created = min(r.created_at for r in rows)
    released = [r.date_released for r in rows if r.date_released]
    seen = [s for s in (stats[r.pk].last_seen for r in rows) if s is not None]
    latest = [d for r in rows for d in deploys.get(r.pk, [])]
    latest.sort(key=lambda d: d.date_finished, reverse=True)
    return {
        "id": str(rows[0].pk),
        "version": version,
        "shortVersion": version[:12],
        "ref": rows[0].ref or None,
        "url": rows[0].url or None,
        "dateCreated": iso(created),
        "dateReleased": iso(min(released)) if released else None,
        "firstEvent": None,
        "lastEvent": iso(max(seen)) if seen else None,
        "newGroups": sum(stats[r.pk].new_issues for r in rows),
        "data": {},
        "commitCount": 0,
        "deployCount": len(latest),
        "lastDeploy": deploy_json(latest[0]) if latest else None,
        "authors": [],
        "status": "open",
        "projects": [
            {**project_json(r.project), "newGroups": stats[r.pk].new_issues} for r in rows
        ],  # fmt: skip
        "organization": organization_json(),
    }


def deploy_json(deploy: Deploy) -> Json:
    return {
        "id": str(deploy.pk),
        "environment": deploy.environment,
        "name": deploy.name or None,
        "url": deploy.url or None,
        "dateStarted": iso(deploy.date_started),
        "dateFinished": iso(deploy.date_finished),
    }
