"""LLM-as-judge: rubric prompts sent to an OpenAI-compatible endpoint by a background worker."""
