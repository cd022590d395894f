"""Annual cooperation report: one data function, many formats and languages.

`reports.data.annual_data` computes the content from the audit history;
`reports.render` turns it into html, md, pdf, docx, xlsx or csv in en, uz or
ru; `reports.service.generate` does both and records the report.
"""
