"""The public emissions calculator (/calculator, issue 23): a season's practices in everyday
units (sào, công, bao, tạ, litres) turned into the registry's calculator document and run
through the very code of `registry mrv calc` and `POST /api/v1/mrv/calc`, with "what if"
comparisons. Nothing a visitor types is stored."""
