"""One module per report section; each turns the sweep view (and, where needed, the session) into a
`report.document.Section` of text, tables and figures."""
