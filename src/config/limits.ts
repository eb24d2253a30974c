// Limits that the settings enforce and the pipeline relies on, declared once below both.

/**
 * The largest bulk request body sent, in bytes. Elasticsearch and OpenSearch refuse requests
 * above 100 MB (http.max_content_length); this leaves room below it. BULKER_MAX_BYTES may not
 * exceed it, and a single Kafka message above it is refused as too_large: it could never be sent.
 */
export const maxRequestBytes = 90 * 1024 * 1024;
