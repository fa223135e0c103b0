"""The signed exchange with the partner state's instance of each agreement (docs/exchange.md)."""
