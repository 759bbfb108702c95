"""Canned prompts, answers and ticket texts: enough variety for the evaluators to chew on."""

from __future__ import annotations

PROMPTS = (
    "How do I reset my password?",
    "What is the refund window for annual plans?",
    "Summarise the attached discharge note.",
    "Can I change the billing date?",
    "Which dosage is listed for the patient?",
    "Why was my order delayed?",
)

ANSWERS = (
    "Open Settings, choose Security and follow the reset link we e-mail you.",
    "Annual plans can be refunded within 30 days of purchase.",
    "The patient was discharged after two days with oral antibiotics.",
    "Yes: pick a new billing date under Billing > Schedule.",
    "The note lists 500 mg twice a day for seven days.",
    "The carrier reported a weather delay; delivery is expected tomorrow.",
)

CONTEXT = (
    "Refunds: annual plans are refundable within 30 days of purchase.",
    "Password resets are done from Settings > Security.",
)

TICKETS: dict[str, tuple[str, ...]] = {
    "wrong_answer": (
        "The assistant told me the refund window is 90 days but it is 30.",
        "The bot gave me a wrong answer about my invoice total.",
        "Your AI made up a dosage that is not in the note.",
    ),
    "inappropriate_response": (
        "The chatbot insulted me when I asked about my order.",
        "The assistant wrote something offensive and inappropriate.",
    ),
    "ai_quality_other": (
        "The AI answers are vague and unhelpful lately.",
        "The summaries got much worse and miss the point.",
    ),
    "availability": (
        "The assistant keeps timing out and shows an error.",
        "Chat is down again, nothing loads.",
    ),
    "not_ai": (
        "Please update the billing address on my account.",
        "How do I cancel my subscription?",
        "I was charged twice this month.",
    ),
}
