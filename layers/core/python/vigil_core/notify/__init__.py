"""Notifications without a channel: what a group notification says (messages), and the JSON each provider
documents (payloads). Delivery over HTTP lives in adapters.http_delivery; these modules do no I/O."""
