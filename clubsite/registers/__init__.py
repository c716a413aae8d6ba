"""The GDPR registers: subject requests, personal data breaches, complaints."""
