"""``storage``: where uploads and results live (``FACESWAP_STORAGE__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from faceswap.choices import StorageDownloads, StorageProvider


class StorageSettings(BaseModel):
    """Where uploads and results live: ``file://`` (default), ``s3://``, ``gs://``, ``cf-images://``.

    ``url`` says it all; the legacy ``provider`` (``STORAGE_PROVIDER``) with ``bucket`` and ``account_id``
    is used when ``url`` is empty. Cloud credentials not given here come from each SDK's own environment
    (``AWS_*``, ``GOOGLE_APPLICATION_CREDENTIALS``). See docs/storage.md.
    """

    url: str = Field(
        default="",
        description="storage URL (env FACESWAP_STORAGE__URL); empty: local files under DATA_DIR/files",
    )
    inputs_retention_hours: float = Field(
        default=24.0, ge=0.0, description="age after which uploads/ objects are deleted; 0: forever"
    )
    results_retention_hours: float = Field(
        default=168.0, ge=0.0, description="age after which results/ objects are deleted; 0: forever"
    )
    public_base_url: str | None = Field(
        default=None,
        description="a public (CDN) URL that serves the stored keys; None: presigned URLs where the "
        "backend has them (S3, GCS), else downloads through the API",
    )
    downloads: StorageDownloads = Field(
        default="direct",
        description="direct: clients download from the storage (public or presigned URLs); api: always "
        "through the API's /api/download (a backend clients cannot reach)",
    )
    provider: StorageProvider | None = Field(
        default=None, description="legacy STORAGE_PROVIDER: used with bucket/account_id when url is empty"
    )
    bucket: str | None = Field(default=None, description="bucket of the legacy provider (R2_BUCKET_NAME)")
    account_id: str | None = Field(
        default=None, description="Cloudflare account id: R2 endpoint and Cloudflare Images (R2_ACCOUNT_ID)"
    )
    endpoint_url: str | None = Field(
        default=None, description="S3 endpoint for R2 or any S3 server; the URL's ?endpoint= wins"
    )
    region: str | None = Field(default=None, description="S3 region (R2: auto); the URL's ?region= wins")
    access_key_id: str | None = Field(default=None, description="S3 access key id (R2_ACCESS_KEY_ID)")
    secret_access_key: SecretStr | None = Field(
        default=None, description="S3 secret access key (R2_SECRET_ACCESS_KEY)"
    )
    api_token: SecretStr | None = Field(default=None, description="Cloudflare Images API token")
    images_account_hash: str | None = Field(
        default=None, description="Cloudflare Images account hash for imagedelivery.net URLs"
    )
    images_variant: str = Field(default="public", min_length=1, description="Cloudflare Images variant")
