"""Messaging adapters: SMTP, the .eml sandbox, DKIM, DNS, the bounce receiver, the SMS
providers (Aliyun, Tencent Cloud, sandbox) and the send queue's tables."""
