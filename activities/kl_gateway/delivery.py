"""Sending a delivery report: POST to KL Gateway, or a file in a folder.

A transport failure raises (Temporal retries the activity); the gateway
refusing the report (HTTP 400/422) is final and raises ``GatewayRejected``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from activities.kl_gateway.projection import report_bytes


class GatewayRejected(Exception):
    """The gateway answered that the report is invalid; sending it again cannot help."""


@dataclass(frozen=True)
class Receipt:
    target: str
    receipt: str


class FolderDelivery:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, day: date, case_id: str) -> Path:
        return self.folder / day.isoformat() / f"{case_id}.json"

    def send(self, report: dict, day: date, case_id: str) -> Receipt:
        path = self.path(day, case_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".json.partial")
        partial.write_bytes(report_bytes(report))
        os.replace(partial, path)
        return Receipt("folder", str(path))


class HttpDelivery:
    def __init__(
        self, endpoint: str, token: str = "", timeout: float = 30.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.endpoint = endpoint
        self.token = token
        self.timeout = timeout
        self.transport = transport

    def send(self, report: dict, day: date, case_id: str) -> Receipt:
        headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            response = client.post(self.endpoint, content=report_bytes(report), headers=headers)
        body = response.text[:500]
        if response.status_code in (400, 422):
            raise GatewayRejected(f"KL Gateway refused the report (HTTP {response.status_code}): {body}")
        response.raise_for_status()  # 5xx and others: retried
        return Receipt("http", f"HTTP {response.status_code}: {body}")
