# ruff: noqa: E501
"""Generate the labelled support-ticket data set shipped with Tripwire's ticket classifier.

Usage: python scripts/make_ticket_dataset.py OUT.csv [--seed 7] [--per-topic 260]

Templates plus slot filling across many kinds of AI products, with varied tone, length, typos and
hard cases (billing complaints that mention the AI, vague outages, "the bot was rude"). The seed
makes the file reproducible; the CSV has the header `text,subject,topic`.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

PRODUCTS: dict[str, list[str]] = {
    "support": [
        "the support bot",
        "your chatbot",
        "the virtual agent",
        "the help chat",
        "the AI assistant on your website",
        "Ava, your chat assistant",
        "the live chat bot",
    ],
    "coding": [
        "the code assistant",
        "the autocomplete",
        "the AI pair programmer",
        "the code review bot",
        "your coding copilot",
        "the refactoring assistant",
    ],
    "medical": [
        "the visit summariser",
        "the clinical notes AI",
        "the discharge summary tool",
        "the AI scribe",
        "the patient message assistant",
    ],
    "legal": [
        "the contract drafting tool",
        "the legal research assistant",
        "the clause generator",
        "the AI paralegal",
    ],
    "image": [
        "the image generator",
        "the avatar maker",
        "the AI photo editor",
        "the text-to-image feature",
        "the background remover",
    ],
    "voice": [
        "the voice assistant",
        "the smart speaker",
        "the phone voice bot",
        "the in-car assistant",
        "voice mode",
    ],
    "search": [
        "AI search",
        "the answer box",
        "the AI overview at the top of search",
        "the research assistant",
        "the knowledge base search",
    ],
    "shop": [
        "the shopping assistant",
        "the product recommender",
        "the size advisor",
        "the gift finder bot",
    ],
    "writing": [
        "the writing assistant",
        "the email drafter",
        "the translator",
        "the summarize button",
        "the meeting notes AI",
    ],
    "tutor": ["the homework helper", "the tutoring bot", "the study assistant"],
    "finance": ["the budgeting assistant", "the tax helper", "the banking chatbot"],
}

WRONG: dict[str, list[str]] = {
    "support": [
        "told me the return window is 90 days but your policy says 30",
        "said my order had shipped when it had not even been packed",
        "gave me a tracking number that does not exist",
        "quoted $19 a month but checkout charged $29",
        "said the store opens at 8am, it opens at 10",
        "claimed my warranty covers water damage, which it doesn't",
        "invented a discount code that doesn't work anywhere",
    ],
    "coding": [
        "suggested a pandas function that does not exist",
        "generated code calling an API method that was never part of the library",
        "insisted that Python lists are immutable",
        "wrote a SQL query that returns the wrong totals",
        "made up a config flag for webpack that doesn't exist",
        "said the bug was fixed in version 3.2 but there is no 3.2 release",
    ],
    "medical": [
        "wrote metformin 500 mg in the summary when the doctor said 1000 mg",
        "listed a penicillin allergy the patient doesn't have",
        "mixed up the left and right knee in the note",
        "put the wrong follow-up date in the discharge summary",
        "stated the patient is diabetic, which is not in the chart",
        "recorded a blood pressure that was never measured",
    ],
    "legal": [
        "cited a court case that does not exist",
        "said the notice period is 14 days but the contract says 30",
        "referenced a statute from the wrong state",
        "claimed the NDA expires after one year, the document says five",
        "made up a clause number in its summary of the lease",
    ],
    "image": [
        "drew a map of Europe with the countries labelled wrong",
        "labelled the diagram of the heart with the wrong chamber names",
        "put the wrong flag on the country in the infographic",
        "captioned a photo of a cat as a dog",
    ],
    "voice": [
        "told me it would be sunny and it poured all day",
        "said 5 miles is 12 kilometres",
        "gave me the wrong time for the meeting, it got the time zone wrong",
        "said the pharmacy was open on Sunday but it is closed",
        "read out the wrong balance for my account",
    ],
    "search": [
        "said the Eiffel Tower is in Berlin",
        "gave the wrong capital of Australia",
        "summarised the article as saying the opposite of what it says",
        "claimed a celebrity had died who is alive",
        "made up a statistic and cited a source that doesn't contain it",
        "said the recall affected 2019 models but it was the 2021 ones",
    ],
    "shop": [
        "said the laptop has 32GB of RAM, it has 16GB",
        "claimed the jacket is waterproof, it is not",
        "told me the sofa fits through a 70 cm door, it doesn't",
        "said the charger is compatible with my phone and it isn't",
        "recommended size M based on a size chart that is wrong",
    ],
    "writing": [
        "translated 'not allowed' as 'allowed' in the contract email",
        "put the wrong figures in the meeting summary",
        "attributed a quote to the wrong person in the notes",
        "changed the meaning of my sentence when it fixed grammar",
    ],
    "tutor": [
        "told my son that 7 x 8 is 54",
        "said World War II ended in 1950",
        "explained photosynthesis completely wrong",
        "marked a correct answer as wrong and gave an incorrect solution",
    ],
    "finance": [
        "calculated my tax refund wrong by about 400 dollars",
        "said my savings rate is 2% when it is 4.5%",
        "told me the transfer limit is 10,000 but it's 5,000",
        "claimed I have no overdraft fee, then I got charged one",
    ],
}

RUDE: dict[str, list[str]] = {
    "support": [
        "was rude to me",
        "called me stupid",
        "told me to stop wasting its time",
        "swore at me",
        "was sarcastic and mocking when I asked for help",
        "shared another customer's home address with me",
        "made a joke about my accent",
        "said something racist",
    ],
    "coding": [
        "added an offensive comment to the generated code",
        "wrote insulting variable names about women",
        "pasted someone else's API key and email into my code",
        "told me I was too dumb to be a developer",
    ],
    "medical": [
        "told the patient to stop taking their medication",
        "wrote a demeaning remark about the patient's weight in the note",
        "gave advice on overdosing when a patient asked about pain",
        "included another patient's name and diagnosis in my summary",
    ],
    "legal": [
        "drafted a clause that discriminates by religion",
        "made a sexist comment about the client",
        "suggested we threaten the tenant",
    ],
    "image": [
        "generated a nude image when I asked for a family portrait",
        "made a violent, gory picture for my kid's birthday card",
        "produced a racist caricature",
        "created sexual images of a real celebrity",
        "added a swastika to the background",
    ],
    "voice": [
        "swore at my children",
        "said something sexual to my daughter",
        "insulted me when I asked it to repeat",
        "told a very offensive joke",
    ],
    "search": [
        "showed hateful content about immigrants in the summary",
        "suggested a dangerous challenge to my teenager",
        "gave step by step instructions for making a weapon",
    ],
    "shop": [
        "made a fat-shaming comment when I asked about sizes",
        "recommended adult products in the kids section",
        "called me cheap for asking about discounts",
    ],
    "writing": [
        "rewrote my email with a slur in it",
        "made my cover letter flirty and creepy",
        "added political propaganda to my blog post",
    ],
    "tutor": [
        "told my child they were hopeless",
        "discussed self-harm methods with a student",
        "used profanity with my 10 year old",
    ],
    "finance": [
        "was condescending about my debt",
        "mocked me for being poor",
        "showed me another customer's account details",
    ],
}

MEH: dict[str, list[str]] = {
    "support": [
        "keeps repeating the same canned answer",
        "doesn't understand my question",
        "answers are long, rambling and never get to the point",
        "keeps asking me to rephrase",
        "forgets what I said two messages ago",
        "refuses to answer simple questions about my order",
        "answers in Spanish even though I write in English",
        "just sends me links to the FAQ instead of answering",
    ],
    "coding": [
        "completions are irrelevant to the file I'm editing",
        "ignores my instructions and rewrites the whole file",
        "stops halfway through the function",
        "suggestions got much worse this week",
        "keeps suggesting the same line over and over",
        "explanations are vague and unhelpful",
    ],
    "medical": [
        "summaries are far too long for the doctors to read",
        "leaves out the plan section half the time",
        "summaries are generic and miss the key points",
        "the formatting of the notes is broken",
    ],
    "legal": [
        "drafts are bland boilerplate that ignore my instructions",
        "summaries cut off mid-sentence",
        "refuses to draft a simple NDA",
        "output has gotten repetitive and padded with disclaimers",
    ],
    "image": [
        "images come out blurry",
        "people have six fingers and melted faces",
        "ignores half of my prompt",
        "text in the images is gibberish",
        "all my avatars look the same",
        "quality dropped a lot since the update",
    ],
    "voice": [
        "misunderstands almost every command",
        "answers a different question than I asked",
        "talks way too much",
        "keeps saying it can't help with that",
        "plays the wrong song every time",
    ],
    "search": [
        "answers are vague and don't address my question",
        "summaries are off topic",
        "results got noticeably worse last week",
        "gives a wall of text with no sources",
    ],
    "shop": [
        "recommendations have nothing to do with what I asked for",
        "keeps suggesting items I already bought",
        "gives generic answers about every product",
    ],
    "writing": [
        "makes my emails sound robotic",
        "translations are clunky and unnatural",
        "summaries miss the action items",
        "ignores the tone I ask for",
        "keeps adding filler sentences",
    ],
    "tutor": [
        "just gives answers without explaining",
        "explanations are confusing",
        "repeats the same hint over and over",
    ],
    "finance": [
        "doesn't understand basic questions about my spending",
        "gives generic advice that isn't useful",
        "categorises everything as 'other'",
    ],
}

DOWN: list[str] = [
    "is down",
    "is not loading",
    "keeps timing out",
    "returns a 500 error",
    "shows 'something went wrong' every time",
    "takes over a minute to answer",
    "just spins forever",
    "gives me 'service unavailable'",
    "stopped responding completely",
    "says 'rate limit exceeded' after one message",
    "crashes when I open it",
    "has been unreachable since this morning",
    "returns error 503",
    "is extremely slow today",
    "won't connect",
    "hangs and never replies",
    "gives a blank screen",
    "fails with 'network error'",
    "says the server is overloaded",
]
DOWN_ALONE: list[str] = [
    "Nothing happens when I press send.",
    "Is there an outage right now?",
    "I can't get it to load at all.",
    "It's been broken all day.",
    "Nothing works today??",
    "Your status page says all good but nothing loads.",
    "The whole thing is dead.",
    "The API has been returning 502s for an hour.",
    "Requests time out after 30 seconds.",
    "It just doesn't do anything since this morning.",
    "The app freezes on the loading screen.",
    "Every request fails with a gateway timeout.",
    "Are your servers down? Our integration stopped working.",
    "Latency went through the roof, responses take 40+ seconds.",
]

NOT_AI: list[str] = [
    "I was charged twice this month, please refund one of the payments.",
    "How do I cancel my subscription?",
    "My invoice has the wrong VAT number.",
    "Please update the credit card on file.",
    "The promo code SPRING20 is not accepted at checkout.",
    "I need a copy of last year's invoices for my accountant.",
    "I forgot my password and the reset email never arrives.",
    "How do I change the email address on my account?",
    "Please delete my account and my data.",
    "How do I add a colleague to our team workspace?",
    "Can you help me set up SSO with Okta?",
    "My package hasn't arrived yet, it's been two weeks.",
    "I received the wrong item in my order.",
    "Can I get a return label?",
    "Please add a dark mode.",
    "Do you have an export to PDF?",
    "Is there a student discount?",
    "Where can I find your privacy policy?",
    "We'd like to discuss a partnership.",
    "I'd like to apply for the open engineering role.",
    "Just wanted to say I love the product, great job!",
    "Can I upgrade to the annual plan?",
    "Why was my card declined when renewing?",
    "I want to downgrade to the free tier.",
    "Can you send me a W-9 form?",
    "How many seats are included in the business plan?",
    "My two-factor codes stopped arriving by SMS.",
    "Can I change the billing address?",
    "Do you offer an on-premise version?",
    "How do I merge two accounts?",
    "I'd like a receipt in my company's name.",
    "Is my data stored in the EU?",
]
NOT_AI_MENTIONS_AI: list[str] = [
    "I was charged for the AI add-on that I never turned on. Please refund it.",
    "How much does the AI assistant plan cost per seat?",
    "I want a refund for the unused AI credits on my account.",
    "My invoice lists 'AI summarizer seats' twice.",
    "Can I cancel the AI features but keep the rest of my subscription?",
    "Where do I buy more credits for the image generator?",
    "Does the enterprise plan include the chatbot?",
    "Please remove the AI assistant add-on from our next invoice.",
    "The chatbot told me to contact billing, so here I am: why did my price go up?",
    "Can the AI features be turned off for our whole organisation? Legal asked.",
    "Do you use our chats to train your AI? We need this for our DPA.",
    "I'd like to request access to the voice assistant beta.",
    "Our procurement team needs a security questionnaire for your AI product.",
    "How do I give my team access to the coding assistant?",
    "The bot said it can't change my billing address, how do I do it?",
]

WRONG_ALONE: list[str] = [
    "The answer I got about your refund policy was just incorrect.",
    "It hallucinated a reference to a paper that doesn't exist.",
    "The summary contains facts that are not in the transcript at all.",
    "Your assistant's info about opening hours is wrong.",
    "It confidently gave me a made-up phone number for the embassy.",
    "The dosage in the generated patient letter is wrong.",
    "It invented an order number and a delivery date.",
    "The AI answer contradicts your own documentation.",
    "Half the citations in the research answer are fake.",
    "It mixed up two customers' orders and told me the wrong total.",
    "The chatbot misquoted the price of the premium plan.",
    "The generated code compiles but computes the wrong result.",
    "It said the flight leaves from terminal 2, it's terminal 5.",
    "The translation reversed the meaning of the warning label.",
    "The bot gave me false information about my visa requirements.",
]
RUDE_ALONE: list[str] = [
    "The bot was rude.",
    "Your AI insulted me.",
    "The assistant got snarky and belittled me.",
    "It produced an explicit image from a harmless prompt.",
    "The chatbot used a slur in its reply.",
    "It encouraged my teenager to skip meals to lose weight.",
    "It gave detailed instructions for something illegal.",
    "The reply was hateful toward my religion.",
    "It revealed someone else's phone number and email to me.",
    "It made creepy sexual comments.",
    "The assistant threatened me.",
    "It told a user in crisis that nobody would miss them.",
    "The voice bot laughed at my stutter.",
]
MEH_ALONE: list[str] = [
    "The answers are technically fine but useless.",
    "It keeps giving me the same generic reply no matter what I ask.",
    "It refuses to help with totally normal requests.",
    "Responses are cut off halfway.",
    "It ignores the format I ask for.",
    "It loses track of the conversation after a few messages.",
    "The summaries are way too short to be useful.",
    "It answers a question I didn't ask.",
    "Quality has gone downhill since the new version.",
    "Everything it writes is padded with disclaimers.",
    "It doesn't follow the style guide we uploaded.",
    "It misheard me again and set an alarm instead of a timer.",
    "Output is full of repeated paragraphs.",
    "It replied in French to an English question.",
]

# Compositional wrong answers: what the AI claimed against what an authority says.
FACTS: list[tuple[str, str, str]] = [
    ("the refund window is 90 days", "30 days", "your own website"),
    ("the meeting is at 3pm", "it's at 1pm", "the calendar invite"),
    ("ibuprofen is fine with my blood thinner", "it is not", "my pharmacist"),
    ("honey is safe for my 6 month old", "it absolutely isn't", "our pediatrician"),
    ("the train leaves at 7:40", "it leaves at 8:10", "the station board"),
    ("my plan includes roaming", "it doesn't", "my contract"),
    ("the deadline is June 30", "it was April 15", "the tax office"),
    ("the API accepts up to 100 items", "the limit is 25", "the official docs"),
    ("the company was founded in 1987", "it was 1992", "the about page"),
    ("the product is gluten free", "it contains wheat", "the label"),
    ("the warranty is two years", "it's one year", "the manual"),
    ("my parcel was delivered", "it's still in the depot", "the courier"),
    ("the museum is open on Mondays", "it's closed on Mondays", "their website"),
    ("we agreed to a 10% discount", "we agreed to 5%", "the minutes"),
    ("the dose is two tablets every 4 hours", "it's one tablet every 8 hours", "the leaflet"),
    ("the function returns a list", "it returns a generator", "the documentation"),
    ("the lease ends in March", "it ends in September", "the signed lease"),
    ("the flight is on time", "it was cancelled", "the airline"),
    ("the capital of Canada is Toronto", "it's Ottawa", "any atlas"),
    ("our office is in Leeds", "we're in Manchester", "our own records"),
    ("the fee is waived for students", "there is no such waiver", "the fee schedule"),
    ("the vaccine needs one dose", "it needs two", "the health authority"),
    ("the patient was discharged on Monday", "it was Wednesday", "the chart"),
    ("version 4 removed that setting", "it's still there", "the changelog"),
]
WRONG_FRAMES = [
    "{greet}{bot_cap} says {claim}, but {authority} says {truth}. {impact}{sign}",
    "{greet}I asked {bot} and it answered that {claim}. According to {authority}, {truth}.{sign}",
    "{greet}{bot_cap} told a customer that {claim}. Not true, {authority} is clear: {truth}. {impact}",
    "{greet}why does {bot} claim {claim}?? {authority} says {truth}{sign}",
    "{greet}{bot_cap} keeps insisting {claim} - {truth}, see {authority}. {impact}{sign}",
    "{greet}The answer said {claim}. I checked {authority}: {truth}. {impact}{sign}",
    "{greet}{bot_cap} mentions things that never happened, e.g. that {claim}. {impact}{sign}",
    "{greet}{bot_cap} told me {claim}, it isn't so. {authority} says {truth}.{sign}",
    "{greet}{bot} said {claim} - that's not right{sign}",
    "{greet}Got told by {bot} that {claim}. Wrong: {truth}.{sign}",
]
MEH_EXTRA: list[str] = [
    "Everything it generates sounds identical.",
    "I asked for a short answer and got an essay.",
    "It answers with a list when I asked for one sentence.",
    "The tone is weirdly formal for a chat with kids.",
    "It keeps asking clarifying questions instead of doing the task.",
    "It skips half of the items I asked it to cover.",
    "The suggestions are bland and obvious.",
    "It misses the point of my question.",
    "The summary is just the first paragraph copied.",
    "The replies don't match our brand voice.",
    "Answers feel like they were written for a different question.",
    "It stopped using the knowledge base and gives vague replies.",
]
DOWN_EXTRA: list[str] = [
    "Each reply takes about {n} seconds now, it used to be instant.",
    "Responses take {n} seconds or more.",
    "It took {n} minutes to get one answer.",
    "We see {n}% of requests failing since the deploy.",
    "The dashboard loads but the assistant panel never appears.",
    "Requests just hang until the browser gives up.",
    "I keep getting kicked out with 'connection lost'.",
    "Uploads fail halfway with a network error.",
]
NOT_AI_EXTRA: list[str] = [
    "My order still shows as processing after a week.",
    "The delivery address on my order is wrong, can you change it?",
    "I was promised a callback from sales and never got one.",
    "Can you extend my trial by a week?",
    "How do I export my data before I cancel?",
    "I need to change the name on the invoice.",
    "The checkout page does not accept PayPal.",
    "Can I pay by bank transfer?",
    "My coupon expired, can you reissue it?",
    "Which plan do I need for the API?",
    "How do I turn off the marketing emails?",
]

GREETS = [
    "",
    "",
    "",
    "Hi, ",
    "Hello, ",
    "Hey team, ",
    "Hi there, ",
    "Good morning, ",
    "To whom it may concern, ",
    "hi ",
    "Dear support, ",
    "URGENT: ",
    "Quick one: ",
]
SIGNS = [
    "",
    "",
    "",
    " Thanks.",
    " Thanks!",
    " Regards, Tom",
    " -- Priya",
    " Cheers",
    " pls fix",
    " Please fix asap.",
    " Sent from my iPhone",
    " Thank you in advance.",
    " Best, Maria",
    " This is really frustrating.",
    " Let me know.",
    " thx",
]
WRONG_IMPACT = [
    "",
    "",
    "I almost acted on that.",
    "This is misleading our customers.",
    "That is simply false.",
    "I double checked and it's incorrect.",
    "This could have caused real harm.",
    "How can I trust anything it says now?",
    "It stated it with total confidence.",
    "A colleague caught the error, luckily.",
    "Where does it even get this from?",
]
RUDE_IMPACT = [
    "",
    "",
    "This is completely unacceptable.",
    "I'm shocked.",
    "My kids saw this.",
    "I want to file a formal complaint.",
    "I will post screenshots if this isn't addressed.",
    "That is offensive.",
    "Nobody should be spoken to like that.",
    "This is a serious safety issue.",
]
MEH_IMPACT = [
    "",
    "",
    "It's not wrong exactly, just not useful.",
    "It used to be much better.",
    "Not broken, just bad.",
    "It's making me do the work myself.",
    "Honestly it wastes more time than it saves.",
    "Can you improve it?",
    "Started after your last update I think.",
]
DOWN_IMPACT = [
    "",
    "",
    "I have a deadline today.",
    "Our whole team is blocked.",
    "Tried on two browsers and my phone.",
    "Cleared cache, still the same.",
    "Is there an ETA?",
    "This is the third time this week.",
    "We're losing customers because of it.",
]

SUBJECTS = {
    "wrong_answer": [
        "Wrong information",
        "Incorrect answer",
        "The AI made something up",
        "Factual error",
        "bot gave wrong info",
        "Hallucination",
        "Inaccurate summary",
        "Wrong figures",
        "It lied to me",
    ],
    "inappropriate_response": [
        "Offensive response",
        "Rude bot",
        "Inappropriate content",
        "Complaint about your assistant",
        "Unacceptable behaviour",
        "Harmful advice",
        "Privacy issue",
        "Disgusting output",
    ],
    "ai_quality_other": [
        "Poor answers",
        "Not helpful",
        "Quality got worse",
        "Feedback on the AI",
        "Doesn't understand me",
        "Useless responses",
        "Bad results",
    ],
    "availability": [
        "Service down?",
        "Errors",
        "Not loading",
        "Outage",
        "Very slow",
        "Timeouts",
        "Can't use the app",
        "500 error",
        "Is it down",
    ],
    "not_ai": [
        "Billing question",
        "Refund request",
        "Account help",
        "Invoice",
        "Subscription",
        "Order status",
        "Feature request",
        "Question",
        "Password reset",
        "Plan change",
    ],
}

FRAMES = [
    "{greet}{bot} {detail}. {impact}{sign}",
    "{greet}I used {bot} today and it {detail}. {impact}{sign}",
    "{greet}So {bot} {detail}?! {impact}{sign}",
    "{greet}Reporting a problem: {bot} {detail}. {impact}{sign}",
    "{greet}{impact} {bot_cap} {detail}.{sign}",
    "{greet}Not sure who to tell, but {bot} {detail} yesterday. {impact}{sign}",
    "{greet}Heads up, {bot} {detail} when I asked a simple question. {impact}{sign}",
    "{greet}Twice now {bot} {detail}. {impact}{sign}",
    "{greet}{bot_cap} {detail}",
    "{greet}my client noticed that {bot} {detail}. {impact}{sign}",
]
MEH_FRAMES = [
    "{greet}{bot_cap} {detail}. {impact}{sign}",
    "{greet}Lately {bot}'s {detail_noun}. {impact}{sign}",
    "{greet}Feedback: {bot} - {detail}. {impact}{sign}",
    "{greet}I find that {bot} {detail}. {impact}{sign}",
    "{greet}{bot_cap} {detail}, every single time. {impact}{sign}",
]
DOWN_FRAMES = [
    "{greet}{bot_cap} {detail}. {impact}{sign}",
    "{greet}Since this morning {bot} {detail}. {impact}{sign}",
    "{greet}{alone} {impact}{sign}",
    "{greet}For the last hour {bot} {detail}. {impact}{sign}",
    "{greet}Is something wrong? {bot_cap} {detail}. {alone}{sign}",
    "{greet}{alone}{sign}",
]


def typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(len(w) - 1)
            op = rng.random()
            if op < 0.4:
                w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            elif op < 0.7:
                w = w[:j] + w[j + 1 :]
            else:
                w = w[:j] + w[j] + w[j:]
            words[i] = w
    return " ".join(words)


def roughen(text: str, rng: random.Random) -> str:
    text = " ".join(text.split())
    r = rng.random()
    if r < 0.25:
        text = typo(text, rng)
    elif r < 0.4:
        text = text.lower()
    elif r < 0.45:
        text = text.replace(".", "").replace(",", "")
    elif r < 0.5:
        text = text + "!!"
    return text.strip()


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def make(topic: str, rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(list(PRODUCTS))
    bot = rng.choice(PRODUCTS[kind])
    common = {
        "greet": rng.choice(GREETS),
        "sign": rng.choice(SIGNS),
        "bot": bot,
        "bot_cap": _cap(bot),
    }
    alone = {
        "wrong_answer": WRONG_ALONE,
        "inappropriate_response": RUDE_ALONE,
        "ai_quality_other": MEH_ALONE,
    }.get(topic)
    impacts = {
        "wrong_answer": WRONG_IMPACT,
        "inappropriate_response": RUDE_IMPACT,
        "ai_quality_other": MEH_IMPACT,
    }.get(topic, DOWN_IMPACT)
    if alone is not None and rng.random() < 0.3:
        text = common["greet"] + rng.choice(alone) + " " + rng.choice(impacts) + common["sign"]
    elif topic == "wrong_answer" and rng.random() < 0.45:
        claim, truth, authority = rng.choice(FACTS)
        text = rng.choice(WRONG_FRAMES).format(
            claim=claim, truth=truth, authority=authority, impact=rng.choice(WRONG_IMPACT), **common
        )
    elif topic == "ai_quality_other" and rng.random() < 0.25:
        text = (
            common["greet"] + rng.choice(MEH_EXTRA) + " " + rng.choice(MEH_IMPACT) + common["sign"]
        )
    elif topic == "availability" and rng.random() < 0.25:
        n = rng.choice([20, 30, 45, 60, 90, 5, 10])
        text = (
            common["greet"]
            + rng.choice(DOWN_EXTRA).format(n=n)
            + " "
            + rng.choice(DOWN_IMPACT)
            + common["sign"]
        )
    elif topic == "not_ai" and rng.random() < 0.4:
        text = common["greet"] + rng.choice(NOT_AI_EXTRA) + common["sign"]
    elif topic == "wrong_answer":
        text = rng.choice(FRAMES).format(
            detail=rng.choice(WRONG[kind]), impact=rng.choice(WRONG_IMPACT), **common
        )
    elif topic == "inappropriate_response":
        text = rng.choice(FRAMES).format(
            detail=rng.choice(RUDE[kind]), impact=rng.choice(RUDE_IMPACT), **common
        )
    elif topic == "ai_quality_other":
        detail = rng.choice(MEH[kind])
        text = rng.choice(MEH_FRAMES).format(
            detail=detail, detail_noun=detail, impact=rng.choice(MEH_IMPACT), **common
        )
    elif topic == "availability":
        text = rng.choice(DOWN_FRAMES).format(
            detail=rng.choice(DOWN),
            alone=rng.choice(DOWN_ALONE),
            impact=rng.choice(DOWN_IMPACT),
            **common,
        )
    else:
        pool = NOT_AI_MENTIONS_AI if rng.random() < 0.35 else NOT_AI
        text = common["greet"] + rng.choice(pool) + common["sign"]
        if rng.random() < 0.3:
            text += " " + rng.choice(NOT_AI)
    text = roughen(text, rng)
    subject = rng.choice(SUBJECTS[topic]) if rng.random() < 0.6 else ""
    return text, subject


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-topic", type=int, default=260)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for topic in SUBJECTS:
        made = 0
        while made < args.per_topic:
            text, subject = make(topic, rng)
            if text in seen:
                continue
            seen.add(text)
            rows.append((text, subject, topic))
            made += 1
    rng.shuffle(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "subject", "topic"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} tickets to {args.out}")


if __name__ == "__main__":
    main()
