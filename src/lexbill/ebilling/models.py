"""What each client's e-billing system expects of a LEDES file."""

from __future__ import annotations

from django.db import models

from lexbill.clients.models import Client
from lexbill.firm.models import Classification
from lexbill.ledes import LedesFormat

# The firm's classifications as LEDES codes, where a client's profile says nothing else.
DEFAULT_CLASSIFICATION_CODES: dict[str, str] = {
    Classification.PARTNER: "PARTNR",
    Classification.OF_COUNSEL: "OFCOUN",
    Classification.ASSOCIATE: "ASSOC",
    Classification.PARALEGAL: "PARALG",
    Classification.LEGAL_ASSISTANT: "LGLAST",
    Classification.OTHER: "NBOTHR",
}
TASK_CODE_SET_CHOICES = [
    ("litigation", "Litigation (L)"),
    ("counseling", "Counseling (C)"),
    ("project", "Project (P)"),
    ("bankruptcy", "Bankruptcy (B)"),
]


class EbillingProfile(models.Model):
    """A client's e-billing requirements: the format, the IDs its system matches on, the code
    sets and limits it enforces. Invoices are checked against these before a file is written."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="ebilling")
    format = models.CharField(
        max_length=8,
        choices=[
            (LedesFormat.LEDES_1998B, "LEDES 1998B"),
            (LedesFormat.LEDES_98BI, "LEDES98BI V2"),
        ],
        default=LedesFormat.LEDES_1998B,
    )
    client_ledes_id = models.CharField(
        "client ID in LEDES",
        max_length=20,
        blank=True,
        help_text="The client's own ID for itself; blank uses the client number.",
    )
    law_firm_id = models.CharField(
        "law firm ID",
        max_length=50,
        blank=True,
        help_text="The ID the client's system knows the firm by; blank uses the firm's tax ID.",
    )
    task_code_sets = models.JSONField(
        default=list,
        blank=True,
        help_text="UTBMS task code sets the client accepts; every fee line then needs one.",
    )
    require_activity_code = models.BooleanField(default=False)
    require_expense_code = models.BooleanField(default=True)
    classification_codes = models.JSONField(
        default=dict,
        blank=True,
        help_text="Firm classification → LEDES timekeeper classification, where it differs "
        "from the standard mapping.",
    )
    narrative_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Longest line description the client's system takes."
    )
    invoice_number_pattern = models.CharField(
        max_length=200,
        blank=True,
        help_text="A regular expression the invoice number must match, e.g. [A-Za-z0-9]{1,10}.",
    )
    invoice_number_rule = models.CharField(
        max_length=200, blank=True, help_text="The same rule in words, for the error message."
    )
    # LEDES98BI: tax and the parties' details, which the firm's and client's records hold only
    # as free text
    tax_type = models.CharField(max_length=20, blank=True, help_text="VAT, GST…; 98BI only.")
    client_city = models.CharField(max_length=60, blank=True)
    client_region = models.CharField("client state or region", max_length=60, blank=True)
    client_postcode = models.CharField(max_length=20, blank=True)
    client_country = models.CharField(
        max_length=3, blank=True, help_text="ISO 3166 code (US, GB, DEU…)."
    )
    firm_city = models.CharField(max_length=60, blank=True)
    firm_region = models.CharField("firm state or region", max_length=60, blank=True)
    firm_postcode = models.CharField(max_length=20, blank=True)
    firm_country = models.CharField(max_length=3, blank=True)

    class Meta:
        verbose_name = "e-billing profile"

    def __str__(self) -> str:
        return f"{self.client.number} {self.format}"

    def classification_code(self, classification: str) -> str:
        mapped: str = self.classification_codes.get(classification) or ""
        return mapped or DEFAULT_CLASSIFICATION_CODES.get(classification, "NBOTHR")
