"""The analysts' dashboards and the figures API, independent of the web framework: the rows
behind every chart read from the published snapshot (`figures`), the plotly figures built from
them (`charts`), downloads (`exports`) and the lineage of a figure (`lineage`)."""
