"""What the tests and the benchmarks both start: the app under `streamlit run`, a headless Chromium, a questionnaire of any size."""
