"""Fee administration: plans, memberships (abonementi), invoices with gapless numbers, payments."""
