"""Settings of the delivery to KL Gateway (environment prefix ``SAMSKAB_KL_GATEWAY_``)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from activities.kl_gateway.projection import ReportContext


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMSKAB_KL_GATEWAY_", env_file=".env", extra="ignore")

    endpoint: str = Field(default="", description="URL the reports are POSTed to; empty: write them to the folder")
    token: str = Field(default="", description="Bearer token for the endpoint")
    folder: Path | None = Field(
        default=None, description="Where reports are written when no endpoint is set; default DATA_DIR/kl-gateway"
    )
    organisation: str = Field(default="", description="The municipality's STS organisation code (UUID)")
    case_number_system: str = "urn:samskab:sagsnummer"
    follow_up_after_days: int = Field(default=182, ge=1, description="Standard follow-up interval after a decision")
    max_attempts: int = Field(default=5, ge=1, description="Delivery attempts per report before the day is left open")
    schedule_hour: int = Field(default=2, ge=0, le=23, description="Hour of day (UTC) the daily delivery runs")
    timeout_seconds: float = 30.0

    def delivery_folder(self, data_dir: Path) -> Path:
        return self.folder or Path(data_dir) / "kl-gateway"

    def context(self, municipality: str) -> ReportContext:
        organisation = self.organisation or str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:samskab:kommune:{municipality}"))
        return ReportContext(
            organisation=organisation,
            case_number_system=self.case_number_system,
            follow_up_after=timedelta(days=self.follow_up_after_days),
        )
