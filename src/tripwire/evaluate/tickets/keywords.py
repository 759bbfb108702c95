# ruff: noqa: E501
"""Keyword priors: readable patterns that push a ticket towards a topic.

Used two ways: as a prior added to the learned model's scores (it carries vocabulary a team's
tickets may use that the training set lacks), and alone as the benchmark's reference baseline.
"""

from __future__ import annotations

import re

from tripwire.evaluate.tickets.topics import TOPICS

_RAW: dict[str, list[tuple[str, float]]] = {
    "wrong_answer": [
        # a few cues in Spanish, French, German, Portuguese and Italian
        (
            r"\b(?:incorrect[oa]s?|equivocad[oa]|err[oó]ne[oa]|falsch|fehlerhaft|erron[ée]e?|inventad[oa]|invent[ée]e?|erfunden|errad[oa]|sbagliat[oa])\b",
            1.2,
        ),
        (
            r"\b(?:wrong|incorrect|inaccurate|false|untrue|mistaken?|error in the (?:answer|summary))\b",
            1.0,
        ),
        (
            r"\b(?:made up|makes? (?:stuff|things) up|invent(?:s|ed)?|fabricat\w*|hallucinat\w*|fake)\b",
            1.5,
        ),
        (r"\b(?:doesn'?t|does not|never|didn'?t) exist\b|\bnot a real\b|\bno such\b", 1.2),
        (
            r"\b(?:but|while|when|whereas) (?:it|the \w+|our|your|actually)[^.]{0,40}\b(?:is|was|says?|said|are)\b",
            0.5,
        ),
        (r"\bcontradict\w*|\bopposite of\b|\bmisquot\w*|\bmixed up\b|\bmix(?:es|ing)? up\b", 1.0),
        (
            r"\b(?:cit\w+|source|reference|statistic)s?\b[^.]{0,30}\b(?:doesn'?t|not|fake|wrong|made)",
            0.8,
        ),
        (
            r"\b(?:it|that|which|they) (?:isn'?t|wasn'?t|aren'?t|doesn'?t|didn'?t)(?: so| true)?\b[.!]?\s*$|, (?:it|that)(?:'s| is) not\b|\bthat'?s not (?:right|true|correct)\b",
            1.0,
        ),
        (r"\bmisinform\w*|\bfactual\w*|\bnot true\b|\blied\b|\blies\b|\bout ?dated\b", 1.2),
        (
            r"\bnever (?:happened|built|said|agreed|existed|made)\b|\b(?:according to|checked) (?:the|my|our|your)\b",
            0.8,
        ),
    ],
    "inappropriate_response": [
        (
            r"\b(?:grosero|ofensiv[oa]|insult[oó]|racista|machista|grossier|offensant|injurieux|beleidigend|unversch[äa]mt|rassistisch|ofensivo|offensivo|maleducato)\b",
            1.8,
        ),
        (
            r"\b(?:rude|insult\w*|offensive|offended|racist|sexist|slur|hateful|hate speech|abusive)\b",
            2.0,
        ),
        (
            r"\b(?:swore|swearing|curs\w+|profanit\w+|vulgar|obscene|explicit|nude|nudity|sexual\w*|porn\w*)\b",
            2.0,
        ),
        (
            r"\b(?:inappropriate|unacceptable|disgusting|creepy|harass\w*|threat\w*|condescending|mock\w*)\b",
            1.3,
        ),
        (
            r"\b(?:self[- ]harm|suicid\w*|kill (?:my|your)self|overdos\w*|weapon|bomb|illegal|dangerous)\b",
            1.6,
        ),
        (
            r"\b(?:stereotyp\w*|discriminat\w*|bias(?:ed)?|snarky|belittl\w*|laughed at|made fun)\b",
            1.4,
        ),
        (
            r"\b(?:another|other|different) (?:customer|patient|user|person)'?s?\b|\bdata leak\b|\bprivacy\b",
            1.2,
        ),
        (r"\b(?:stupid|idiot|dumb|ugly|hopeless|worthless|shut up|go away)\b", 1.0),
    ],
    "ai_quality_other": [
        (
            r"\b(?:in[úu]til|gen[ée]ric[oa]|repetitiv[oa]|no entiende|inutile|r[ée]p[ée]titif|ne comprend pas|nutzlos|versteht nicht|wiederholt|n[ãa]o entende)\b",
            1.2,
        ),
        (
            r"\b(?:unhelpful|not helpful|useless|generic|vague|irrelevant|off[- ]topic|rambl\w*|verbose)\b",
            1.3,
        ),
        (
            r"\b(?:repeat\w*|repetitive|same (?:answer|reply|thing|suggestion)|over and over|in a loop)\b",
            1.2,
        ),
        (
            r"\b(?:doesn'?t|does not|never|didn'?t|won'?t) (?:understand|follow|remember|listen)\w*\b",
            1.3,
        ),
        (
            r"\b(?:ignor\w+ (?:my|the|half)|misunderst\w*|misheard|forgets?|loses? track|cut off|cuts? off)\b",
            1.2,
        ),
        (
            r"\b(?:quality|worse|got worse|downhill|degrad\w*|blurry|low resolution|robotic|clunky|fluff|filler)\b",
            1.0,
        ),
        (r"\b(?:refus\w+|can'?t help with (?:that|this))\b", 0.8),
        (
            r"\b(?:too (?:long|short|wordy)|wall of text|essay|disclaimers|bland|all sound|identical)\b",
            1.0,
        ),
    ],
    "availability": [
        (
            r"\b(?:no funciona|ca[íi]d[oa]|lent[oa]|ne fonctionne pas|en panne|hors service|funktioniert nicht|ausgefallen|langsam|fora do ar|non funziona)\b",
            1.8,
        ),
        (
            r"\b(?:down|outage|offline|unavailable|unreachable|not loading|won'?t load|doesn'?t load|nothing loads)\b",
            2.0,
        ),
        (
            r"\b(?:timeouts?|timed? out|timing out|time out|hangs?|freez\w*|stuck|spinn\w*|blank screen|white screen)\b",
            1.6,
        ),
        (
            r"\b(?:5\d\d|429|gateway|server error|service unavailable|rate limit\w*|overloaded|connection \w+)\b",
            1.8,
        ),
        (
            r"\b(?:slow|latency|takes? (?:about |around |over |like )?(?:forever|ages|a minute|\d+ (?:sec\w*|min\w*))|crash\w*|dead|not responding|stopped responding)\b",
            1.3,
        ),
        (
            r"\bsomething went wrong\b|\berror\b|\bfail(?:s|ed|ing)? (?:with|to load|on every)\b",
            0.8,
        ),
    ],
    "not_ai": [
        (
            r"\b(?:factura|reembolso|suscripci[óo]n|contrase[ñn]a|cuenta|facture|remboursement|abonnement|mot de passe|rechnung|erstattung|abo|passwort|konto|fatura|reembolso|assinatura|fattura|rimborso|abbonamento)\b",
            1.5,
        ),
        (
            r"\b(?:billing|billed|bill|charged?|charges|invoices?|refunds?|payments?|receipt|vat|tax form|w-9)\b",
            1.6,
        ),
        (
            r"\b(?:subscription|cancel\w*|upgrade|downgrade|plan|pricing|price|discount|promo|seats?|credits?|quote)\b",
            1.0,
        ),
        (
            r"\b(?:account|password|log ?in|sign ?in|email address|2fa|two-factor|verification email|sso|workspace|ownership)\b",
            1.2,
        ),
        (r"\b(?:order|package|delivery|shipping|return label|parcel)\b", 0.7),
        (
            r"\b(?:feature request|please add|dark mode|partnership|enterprise agreement|sales|dpa|gdpr|procurement|questionnaire)\b",
            1.2,
        ),
        (r"\b(?:love the|great job|keep it up|thank you for the great)\b", 1.0),
    ],
}
PATTERNS: dict[str, list[tuple[re.Pattern[str], float]]] = {
    topic: [(re.compile(p, re.IGNORECASE), w) for p, w in rules] for topic, rules in _RAW.items()
}


def keyword_scores(text: str) -> list[float]:
    """One summed weight per topic, in TOPICS order."""
    return [sum(w for p, w in PATTERNS[t] if p.search(text)) for t in TOPICS]


def keyword_topic(text: str) -> tuple[str, float]:
    """The keyword-only classifier (the benchmark baseline): best topic, share of the weight;
    a ticket that matches nothing is `not_ai`."""
    scores = keyword_scores(text)
    total = sum(scores)
    if total == 0:
        return "not_ai", 0.2
    best = max(range(len(TOPICS)), key=lambda i: scores[i])
    return TOPICS[best], scores[best] / total
