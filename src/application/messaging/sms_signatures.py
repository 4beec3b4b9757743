"""SMS signatures (SMS-2): submit, review, list, remove.

A signature is submitted to the provider's own review too (where the provider reviews
signatures, `SmsReviews`); the tenant admin's approval then asks the provider where its
review stands: approved there, the signature is approved; rejected there, it is rejected
with the provider's reason; still pending there, nothing changes (409). A rejected or
removed signature frees its place among the tenant's three.
"""

from __future__ import annotations

from uuid import UUID

from application.messaging.messaging import Messaging
from application.messaging.sms_commands import RejectReview, SignatureDetails, SubmitSignature
from application.messaging.sms_directory import SmsQueries
from application.messaging.sms_reviews import APPROVED, REJECTED, SmsReviews
from application.shared.errors import InvalidInput, NotFound, VersionConflict
from application.shared.pages import Page
from domain.messaging.sms_signature import SmsSignature, SmsSignatureIndex, checked_signature_text
from domain.shared.errors import StateConflict

ATTEMPTS = 3  # a concurrent change of the tenant's index is retried this often


class SmsSignatures:
    """The tenant's SMS signatures."""

    def __init__(self, messaging: Messaging, queries: SmsQueries, reviews: SmsReviews) -> None:
        self.messaging = messaging
        self.queries = queries
        self.reviews = reviews

    def submit(self, tenant_id: UUID, command: SubmitSignature) -> SignatureDetails:
        """Submit a signature for review (422 naming the rule it breaks, 422 for a fourth
        one of the tenant)."""
        text = checked_signature_text(command.text)
        signature_id = self.messaging.new_id("sms_signature")
        try:  # the same request again (Idempotency-Key): the signature it made
            return self._details(self._load(tenant_id, signature_id, None))
        except NotFound:
            pass
        self._index(tenant_id).claim(signature_id, text)  # refuse a fourth before asking
        review = self.reviews.submit_signature(text, command.purpose)
        for attempt in range(ATTEMPTS):
            index = self._index(tenant_id)
            index.claim(signature_id, text)
            signature = SmsSignature.submit(
                signature_id=signature_id,
                tenant_id=tenant_id,
                text=text,
                purpose=command.purpose,
                provider=self.reviews.name,
                provider_ref=review.ref,
            )
            if review.status == REJECTED:
                signature.reject(reason=f"{self.reviews.name}: {review.reason}", reviewer="")
                index.release(signature_id)
            try:
                return self._details(self.messaging.create(signature, index))
            except VersionConflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def approve(
        self, tenant_id: UUID, signature_id: UUID, *, reviewer: str, expected_version: int
    ) -> SignatureDetails:
        """The tenant admin approves (once the provider has, where it reviews)."""
        signature = self._load(tenant_id, signature_id, expected_version)
        if signature.state != "pending":
            raise StateConflict(
                f"a {signature.state} signature cannot be approved (only pending)", field="state"
            )
        review = self.reviews.signature_review(signature.provider_ref, signature.text)
        if review.status == REJECTED:
            return self._reject(signature, f"{self.reviews.name}: {review.reason}", reviewer)
        if review.status != APPROVED:
            raise StateConflict(
                f"the provider ({self.reviews.name}) has not reviewed the signature yet",
                field="state",
            )
        signature.approve(reviewer=reviewer)
        self.messaging.commit(signature)
        return self._details(signature)

    def reject(
        self,
        tenant_id: UUID,
        signature_id: UUID,
        command: RejectReview,
        *,
        reviewer: str,
        expected_version: int,
    ) -> SignatureDetails:
        """The tenant admin rejects, with the reason (its place is freed)."""
        signature = self._load(tenant_id, signature_id, expected_version)
        return self._reject(signature, command.reason, reviewer)

    def remove(
        self, tenant_id: UUID, signature_id: UUID, *, expected_version: int
    ) -> SignatureDetails:
        """Remove a signature; tasks written with it keep its text but cannot be
        scheduled with it again."""
        signature = self._load(tenant_id, signature_id, expected_version)
        signature.remove()
        index = self._index(tenant_id)
        index.release(signature_id)
        self.messaging.commit(signature, index)
        return self._details(signature)

    def signature(self, tenant_id: UUID, signature_id: UUID) -> SignatureDetails:
        return self._details(self._load(tenant_id, signature_id, None))

    def signatures(
        self, tenant_id: UUID, *, cursor: str | None, limit: int
    ) -> Page[SignatureDetails]:
        return self.queries.signatures(tenant_id, cursor=cursor, limit=limit)

    def usable(self, tenant_id: UUID, signature_id: UUID, *, field: str = "signature_id") -> str:
        """The text of an approved signature of the tenant (422 naming `field` else)."""
        try:
            signature = self._load(tenant_id, signature_id, None)
        except NotFound:
            signature = None
        if signature is None or not signature.usable:
            raise InvalidInput(f"{field} must name an approved signature", field=field)
        return signature.text

    def _reject(self, signature: SmsSignature, reason: str, reviewer: str) -> SignatureDetails:
        signature.reject(reason=reason, reviewer=reviewer)
        index = self._index(signature.tenant_id)
        index.release(signature.id)
        self.messaging.commit(signature, index)
        return self._details(signature)

    def _index(self, tenant_id: UUID) -> SmsSignatureIndex:
        try:
            return self.messaging.load(
                SmsSignatureIndex.create_id(tenant_id), SmsSignatureIndex, tenant_id=tenant_id
            )
        except NotFound:
            return SmsSignatureIndex.open(tenant_id)

    def _load(
        self, tenant_id: UUID, signature_id: UUID, expected_version: int | None
    ) -> SmsSignature:
        signature = self.messaging.load(
            signature_id, SmsSignature, tenant_id=tenant_id, expected_version=expected_version
        )
        if signature.removed:
            raise NotFound(f"no SmsSignature {signature_id}")
        return signature

    @staticmethod
    def _details(signature: SmsSignature) -> SignatureDetails:
        return SignatureDetails(
            id=signature.id,
            text=signature.text,
            purpose=signature.purpose,
            state=signature.state,
            reason=signature.reason,
            version=signature.version,
            created_at=signature.created_on,
            updated_at=signature.modified_on,
        )
