"""The glossary: the terms of the method (docs/method.md section 8) and the words kam uses.

Each term has one id (the anchor on the glossary page, stable across languages) and a term
and definition per language code, side by side so that a translator sees the English next
to the Dutch. Definitions are trusted HTML (``<code>``, links to other terms). The page sorts
the terms alphabetically in the reader's language. The tests fail when a term lacks a
language of ``settings.LANGUAGES``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from kam.guide.topics import FALLBACK_LANGUAGE


@dataclass(frozen=True)
class Term:
    """One glossary entry: ``text`` maps a language code to (term, definition as HTML)."""

    id: str
    text: dict[str, tuple[str, str]]


TERMS: tuple[Term, ...] = (
    Term(
        "kaa",
        {
            "en": (
                "Key Account Approach (KAA)",
                "The way a supplier divides the management of its customers so that (potential) "
                "key accounts get special focus, research and effort.",
            ),
            "nl": (
                "Key-accountaanpak (KAA)",
                "De manier waarop een leverancier het beheer van zijn klanten verdeelt, zodat "
                "(potentiële) key accounts bijzondere aandacht, analyse en inzet krijgen.",
            ),
        },
    ),
    Term(
        "customer-distinction",
        {
            "en": (
                "Customer distinction",
                "Recognising that some customers are different enough to need a different "
                "approach; not necessarily more important.",
            ),
            "nl": (
                "Klantonderscheid",
                "Erkennen dat sommige klanten zo anders zijn dat ze een andere aanpak nodig "
                "hebben; niet per se belangrijker.",
            ),
        },
    ),
    Term(
        "kam",
        {
            "en": (
                "Key account management (KAM)",
                "A long-term investment of resources in a customer that returns a special return; "
                "run by a cross-functional business team; built on analysis of the customer's "
                "business; delivered through customer-focused value propositions aimed at key "
                "supplier status; planned jointly with the customer; measured by the return on the"
                " investment.",
            ),
            "nl": (
                "Key accountmanagement (KAM)",
                "Een langetermijninvestering van mensen en middelen in een klant die een bijzonder"
                " rendement oplevert; gedragen door een team uit meerdere functies; gebouwd op "
                "analyse van het bedrijf van de klant; waargemaakt met waardeproposities die van "
                "de klant uitgaan en gericht zijn op de status van sleutelleverancier; samen met "
                "de klant gepland; gemeten aan het rendement op de investering.",
            ),
        },
    ),
    Term(
        "key-account",
        {
            "en": (
                "Key account",
                "Attractive to us, and we are attractive to them: the box for investment in "
                "growth, with the quicker return.",
            ),
            "nl": (
                "Key account",
                "Aantrekkelijk voor ons, en wij zijn aantrekkelijk voor hen: het kwadrant voor "
                "investeren in groei, met het snelste rendement.",
            ),
        },
    ),
    Term(
        "key-development-account",
        {
            "en": (
                "Key development account",
                "Attractive to us, but we must still become attractive to them: selective "
                "investment, a longer-term return. Cranfield calls it the star.",
            ),
            "nl": (
                "Ontwikkelaccount",
                "Aantrekkelijk voor ons, maar wij moeten nog aantrekkelijk worden voor hen: "
                "selectief investeren, rendement op langere termijn. Cranfield noemt dit de ster "
                "(key development account).",
            ),
        },
    ),
    Term(
        "maintenance-account",
        {
            "en": (
                "Maintenance account",
                "Less attractive to us, but we are strong with them: keep the business and serve "
                "it efficiently, at a lower cost to serve. Cranfield: status.",
            ),
            "nl": (
                "Onderhoudsaccount",
                "Minder aantrekkelijk voor ons, maar wij staan sterk bij de klant: behoud de omzet"
                " en bedien efficiënt, tegen een lagere cost to serve. Cranfield: status.",
            ),
        },
    ),
    Term(
        "opportunistic-account",
        {
            "en": (
                "Opportunistic account",
                "Less attractive to us and we are weak with them: manage for cash through low-cost"
                " channels and respond when it pays. Cranfield: streamline.",
            ),
            "nl": (
                "Opportunistisch account",
                "Minder aantrekkelijk voor ons en wij staan zwak bij de klant: sturen op cash via "
                "goedkope kanalen en inspringen als het loont. Cranfield: streamline.",
            ),
        },
    ),
    Term(
        "key-account-manager",
        {
            "en": (
                "Key account manager",
                "The person who leads the account team and owns the plan for one to four key "
                "accounts; a coordinator of the supplier's functions more than a salesperson.",
            ),
            "nl": (
                "Key accountmanager",
                "Degene die het accountteam leidt en eigenaar is van het plan voor één tot vier "
                "key accounts; meer regisseur van de eigen organisatie dan verkoper.",
            ),
        },
    ),
    Term(
        "strategic-selling",
        {
            "en": (
                "Strategic selling",
                "Deciding how to divide limited time over all customers: the right customer, the "
                "right person, the right conversation.",
            ),
            "nl": (
                "Strategisch verkopen",
                "Beslissen hoe je beperkte tijd over alle klanten verdeelt: de juiste klant, de "
                "juiste persoon, het juiste gesprek.",
            ),
        },
    ),
    Term(
        "selection-matrix",
        {
            "en": (
                "Selection matrix",
                "The portfolio of customers on two axes, attractiveness to us and our strength as "
                "the customer sees it, cut into four boxes.",
            ),
            "nl": (
                "Selectiematrix",
                "Het klantportfolio op twee assen, aantrekkelijkheid voor ons en onze sterkte in "
                "de ogen van de klant, verdeeld in vier kwadranten.",
            ),
        },
    ),
    Term(
        "box",
        {
            "en": (
                "Box",
                "One of the four quadrants of the selection matrix: key, key development, "
                "maintenance or opportunistic account.",
            ),
            "nl": (
                "Kwadrant",
                "Een van de vier vakken van de selectiematrix: key account, ontwikkelaccount, "
                "onderhoudsaccount of opportunistisch account.",
            ),
        },
    ),
    Term(
        "attractiveness",
        {
            "en": (
                "Customer attractiveness (A)",
                "How attractive a customer is to us over three years, on 0–10: <code>A = Σ wᵢ·sᵢ /"
                " 100</code>, with our own criteria and weights (sum 100) and scores 1–10.",
            ),
            "nl": (
                "Klantaantrekkelijkheid (A)",
                "Hoe aantrekkelijk een klant de komende drie jaar voor ons is, op 0–10: <code>A = "
                "Σ wᵢ·sᵢ / 100</code>, met onze eigen criteria en gewichten (samen 100) en scores "
                "van 1 tot 10.",
            ),
        },
    ),
    Term(
        "s-us",
        {
            "en": (
                "S_us",
                "Our strength as the customer sees it, on 0–10: <code>S_us = Σ Wⱼ·xⱼ / 100</code> "
                "over the customer's buying criteria with the customer's weights.",
            ),
            "nl": (
                "S_us",
                "Onze sterkte in de ogen van de klant, op 0–10: <code>S_us = Σ Wⱼ·xⱼ / 100</code> "
                "over de inkoopcriteria van de klant, met de gewichten van de klant.",
            ),
        },
    ),
    Term(
        "s-comp",
        {
            "en": (
                "S_comp",
                "The strength of the strongest competitor on the same criteria and weights as "
                "<code>S_us</code>.",
            ),
            "nl": (
                "S_comp",
                "De sterkte van de sterkste concurrent, op dezelfde criteria en gewichten als "
                "<code>S_us</code>.",
            ),
        },
    ),
    Term(
        "relative-strength",
        {
            "en": (
                "Relative strength (RS)",
                "<code>RS = S_us / S_comp</code>; 1.0 is parity with the strongest competitor. "
                "Shown on a log scale, so that 2.0 and 0.5 lie equally far from parity.",
            ),
            "nl": (
                "Relatieve sterkte (RS)",
                "<code>RS = S_us / S_comp</code>; 1,0 is gelijkwaardig aan de sterkste concurrent."
                " Getoond op een logaritmische schaal, zodat 2,0 en 0,5 even ver van "
                "gelijkwaardigheid liggen.",
            ),
        },
    ),
    Term(
        "cut-line",
        {
            "en": (
                "Cut line",
                "The value that divides an axis into two: by default A = 5.0 and RS = 1.0 (S_us = "
                "5.0 without competitor scores). A point exactly on a line belongs to the upper "
                "box.",
            ),
            "nl": (
                "Grenslijn",
                "De waarde die een as in tweeën deelt: standaard A = 5,0 en RS = 1,0 (S_us = 5,0 "
                "zonder concurrentscores). Een punt precies op een lijn hoort bij het hogere "
                "kwadrant.",
            ),
        },
    ),
    Term(
        "scoring-scheme",
        {
            "en": (
                "Scoring scheme",
                "The criteria of both axes with their weights, anchors and cut lines. Every change"
                " makes a new version; a review keeps the version it was scored with.",
            ),
            "nl": (
                "Scoremodel",
                "De criteria van beide assen met hun gewichten, ankers en grenslijnen. Elke "
                "wijziging maakt een nieuwe versie; een beoordeling houdt de versie waarmee ze is "
                "gescoord.",
            ),
        },
    ),
    Term(
        "criterion",
        {
            "en": (
                "Criterion and weight",
                "One thing a customer is scored on, and its share in the axis; the weights of an "
                "axis are whole numbers that sum to 100.",
            ),
            "nl": (
                "Criterium en gewicht",
                "Eén punt waarop een klant wordt gescoord, en het aandeel daarvan in de as; de "
                "gewichten van een as zijn hele getallen die samen 100 zijn.",
            ),
        },
    ),
    Term(
        "anchor",
        {
            "en": (
                "Anchor",
                "A written description of what a score of 2, 5 or 8 means on a criterion, concrete"
                " enough that raters who know the customer give the same number.",
            ),
            "nl": (
                "Anker",
                "Een beschrijving van wat een score van 2, 5 of 8 op een criterium betekent, zo "
                "concreet dat beoordelaars die de klant kennen hetzelfde cijfer geven.",
            ),
        },
    ),
    Term(
        "portfolio-review",
        {
            "en": (
                "Portfolio review",
                "A dated snapshot of the portfolio: one scheme version, several raters, and the "
                "placement of every account in a box.",
            ),
            "nl": (
                "Portfoliobeoordeling",
                "Een gedateerde momentopname van het portfolio: één versie van het scoremodel, "
                "meerdere beoordelaars, en de plaats van elk account in een kwadrant.",
            ),
        },
    ),
    Term(
        "rater",
        {
            "en": (
                "Rater",
                "A colleague who scores accounts in a review, on their own and without seeing the "
                "others' scores; the account's score is the mean of its raters.",
            ),
            "nl": (
                "Beoordelaar",
                "Een collega die in een beoordeling accounts scoort, zelfstandig en zonder de "
                "scores van anderen te zien; de score van het account is het gemiddelde van de "
                "beoordelaars.",
            ),
        },
    ),
    Term(
        "disagreement",
        {
            "en": (
                "Disagreement",
                "Raters whose scores on one criterion differ by more than 3 points (configurable)."
                " The criterion is flagged for discussion at the review meeting.",
            ),
            "nl": (
                "Onenigheid",
                "Beoordelaars van wie de scores op één criterium meer dan 3 punten uiteenlopen "
                "(instelbaar). Het criterium wordt gemarkeerd voor bespreking in de "
                "beoordelingsvergadering.",
            ),
        },
    ),
    Term(
        "uncertainty",
        {
            "en": (
                "Uncertain placement",
                "An account that lands in its box in fewer than 80 % (configurable) of the draws "
                "when the weights are varied and each score moves by ±1: its box depends on a "
                "detail.",
            ),
            "nl": (
                "Onzekere plaatsing",
                "Een account dat in minder dan 80 % (instelbaar) van de trekkingen in zijn "
                "kwadrant landt als de gewichten variëren en elke score ±1 verschuift: zijn "
                "kwadrant hangt af van een detail.",
            ),
        },
    ),
    Term(
        "box-policy",
        {
            "en": (
                "Box policy",
                "The promise to every account in a box: minimum and maximum team hours per year, "
                "the functions that take part, the review cadence and the service channel.",
            ),
            "nl": (
                "Kwadrantbeleid",
                "De belofte aan elk account in een kwadrant: minimum- en maximumaantal teamuren "
                "per jaar, de functies die meedoen, de beoordelingscyclus en het servicekanaal.",
            ),
        },
    ),
    Term(
        "review-cadence",
        {
            "en": (
                "Review cadence",
                "How often an account is reviewed: by default quarterly for key and key "
                "development accounts, half-yearly for maintenance and yearly for opportunistic "
                "accounts.",
            ),
            "nl": (
                "Beoordelingscyclus",
                "Hoe vaak een account wordt beoordeeld: standaard elk kwartaal voor key accounts "
                "en ontwikkelaccounts, elk halfjaar voor onderhoudsaccounts en jaarlijks voor "
                "opportunistische accounts.",
            ),
        },
    ),
    Term(
        "qbr",
        {
            "en": (
                "Quarterly business review",
                "The key account's review meeting with the customer each quarter: results against "
                "the plan, the joint actions, the next quarter.",
            ),
            "nl": (
                "Quarterly business review (kwartaalreview)",
                "Het overleg met een key account elk kwartaal: resultaten tegenover het plan, de "
                "gezamenlijke acties, het volgende kwartaal.",
            ),
        },
    ),
    Term(
        "team-capacity",
        {
            "en": (
                "Team capacity",
                "The hours a year that the people who serve customers can really spend on them. "
                "kam checks the minimum hours of key and key development accounts against it.",
            ),
            "nl": (
                "Teamcapaciteit",
                "Het aantal uren per jaar dat de mensen die klanten bedienen daar echt aan kunnen "
                "besteden. kam zet de minimumuren van key accounts en ontwikkelaccounts daartegen "
                "af.",
            ),
        },
    ),
    Term(
        "account-team",
        {
            "en": (
                "Account team",
                "Our side of the relationship: the key account manager, the core team of named "
                "people from several functions, and the surround team.",
            ),
            "nl": (
                "Accountteam",
                "Onze kant van de relatie: de key accountmanager, het kernteam van mensen uit "
                "meerdere functies en het bredere team eromheen.",
            ),
        },
    ),
    Term(
        "share-of-wallet",
        {
            "en": (
                "Share of wallet",
                "Our sales to a customer ÷ the customer's total available spend in our category.",
            ),
            "nl": (
                "Share of wallet",
                "Onze omzet bij een klant ÷ de totale beschikbare besteding van de klant in onze "
                "categorie.",
            ),
        },
    ),
    Term(
        "cost-to-serve",
        {
            "en": (
                "Cost to serve",
                "What it costs to serve an account, activity-based: team hours × the hourly cost "
                "of each role, plus logistics, service, rebates and the cost of payment terms.",
            ),
            "nl": (
                "Cost to serve",
                "Wat het kost om een account te bedienen, activity-based: teamuren × het uurtarief"
                " van elke rol, plus logistiek, service, kortingen en bonussen, en de kosten van "
                "betalingstermijnen.",
            ),
        },
    ),
    Term(
        "account-contribution",
        {
            "en": (
                "Account contribution",
                "The bottom line of the account P&amp;L: revenue − cost of goods = gross margin; −"
                " cost to serve = account contribution.",
            ),
            "nl": (
                "Accountbijdrage",
                "De onderste regel van het accountresultaat: omzet − kostprijs = brutomarge; − "
                "cost to serve = accountbijdrage.",
            ),
        },
    ),
    Term(
        "roi",
        {
            "en": (
                "Return on investment (ROI)",
                "<code>ROI = (incremental contribution − investment) / investment</code>, where "
                "the incremental contribution is measured against a baseline: the contribution "
                "expected without the investment.",
            ),
            "nl": (
                "Rendement op de investering (ROI)",
                "<code>ROI = (extra dekkingsbijdrage − investering) / investering</code>, waarbij "
                "de extra bijdrage wordt gemeten tegen een nulscenario: de bijdrage die je zonder "
                "de investering verwachtte.",
            ),
        },
    ),
    Term(
        "lifetime-value",
        {
            "en": (
                "Lifetime value",
                "The risk-adjusted value of an account (Ryals &amp; Knox 2005): <code>Σₜ (Rₜ − "
                "COGSₜ − CTSₜ) / (1 + d)ᵗ</code>, weighted by the probability that the forecast "
                "comes true.",
            ),
            "nl": (
                "Levenslange klantwaarde",
                "De voor risico gecorrigeerde waarde van een account (Ryals &amp; Knox, 2005): "
                "<code>Σₜ (Rₜ − COGSₜ − CTSₜ) / (1 + d)ᵗ</code>, gewogen met de kans dat de "
                "prognose uitkomt.",
            ),
        },
    ),
    Term(
        "bg-nbd",
        {
            "en": (
                "BG/NBD and Gamma-Gamma",
                "Models that predict the future value of many transactional customers: BG/NBD for "
                "how often they buy and when they drop out, Gamma-Gamma for the spend per order "
                "(Fader, Hardie &amp; Lee 2005).",
            ),
            "nl": (
                "BG/NBD en Gamma-Gamma",
                "Modellen die de toekomstige waarde van veel transactionele klanten voorspellen: "
                "BG/NBD voor hoe vaak ze kopen en wanneer ze afhaken, Gamma-Gamma voor de "
                "besteding per order (Fader, Hardie &amp; Lee, 2005).",
            ),
        },
    ),
    Term(
        "callplan",
        {
            "en": (
                "CALLPLAN",
                "Lodish's model (1971) for dividing sales time over accounts with a response curve"
                " per account. In the field test at United Airlines, salespeople who planned with "
                "it sold 8.1 % more than the control group.",
            ),
            "nl": (
                "CALLPLAN",
                "Het model van Lodish (1971) om verkooptijd over accounts te verdelen met een "
                "responscurve per account. In de veldproef bij United Airlines verkochten "
                "verkopers die ermee planden 8,1 % meer dan de controlegroep.",
            ),
        },
    ),
    Term(
        "response-curve",
        {
            "en": (
                "Response curve (ADBUDG)",
                "Yearly contribution as a function of yearly effort hours: <code>r(x) = c + (b − "
                "c) · xᵈ / (e + xᵈ)</code>, with <code>c</code> the contribution without effort "
                "and <code>b</code> at saturation.",
            ),
            "nl": (
                "Responscurve (ADBUDG)",
                "De jaarlijkse dekkingsbijdrage als functie van de inspanningsuren per jaar: "
                "<code>r(x) = c + (b − c) · xᵈ / (e + xᵈ)</code>, met <code>c</code> de bijdrage "
                "zonder inspanning en <code>b</code> bij verzadiging.",
            ),
        },
    ),
    Term(
        "shadow-price",
        {
            "en": (
                "Shadow price of capacity",
                "The price of an hour of capacity behind the optimiser's certified bound (the "
                "Lagrangian price). With S-shaped response curves it is not what one more hour "
                "adds; the run page shows that separately: the best plan solved again with the "
                "extra hour.",
            ),
            "nl": (
                "Schaduwprijs van capaciteit",
                "De prijs van een uur capaciteit achter de gegarandeerde bovengrens van de "
                "optimalisatie (de Lagrange-prijs). Met S-vormige responscurven is dat niet wat "
                "één uur meer oplevert; de pagina van de berekening toont dat apart: het beste "
                "plan opnieuw berekend met het extra uur.",
            ),
        },
    ),
    Term(
        "dmu",
        {
            "en": (
                "Decision-making unit (DMU)",
                "Everyone at the customer who takes part in a buying decision, each with buying "
                "roles, influence and attitude to us.",
            ),
            "nl": (
                "DMU (beslissingseenheid)",
                "Iedereen bij de klant die meedoet aan een inkoopbeslissing, elk met inkooprollen,"
                " invloed en een houding tegenover ons.",
            ),
        },
    ),
    Term(
        "buying-roles",
        {
            "en": (
                "Buying roles",
                "The parts people play in a buying decision: initiator, user, influencer, decider,"
                " buyer, gatekeeper; also economic buyer, technical buyer and coach.",
            ),
            "nl": (
                "Inkooprollen",
                "De rollen die mensen spelen in een inkoopbeslissing: initiator, gebruiker, "
                "beïnvloeder, beslisser, inkoper, poortwachter; daarnaast economic buyer, "
                "technical buyer en coach.",
            ),
        },
    ),
    Term(
        "contact-matrix",
        {
            "en": (
                "Contact matrix",
                "Our people against the customer's people, with the strength of each link (none, "
                "weak, medium, strong), how often they meet and when they last met.",
            ),
            "nl": (
                "Contactmatrix",
                "Onze mensen tegenover de mensen van de klant, met de sterkte van elke lijn (geen,"
                " zwak, middel, sterk), hoe vaak ze elkaar spreken en wanneer voor het laatst.",
            ),
        },
    ),
    Term(
        "bow-tie",
        {
            "en": (
                "Bow-tie",
                "A relationship that runs through one pair of people, usually our account manager "
                "and their buyer: fragile, because one departure breaks it.",
            ),
            "nl": (
                "Vlinderdas (bow-tie)",
                "Een relatie die via één paar mensen loopt, meestal onze accountmanager en hun "
                "inkoper: kwetsbaar, want één vertrek verbreekt haar.",
            ),
        },
    ),
    Term(
        "diamond",
        {
            "en": (
                "Diamond",
                "A relationship with many direct links between the functions of both companies, "
                "senior to senior included.",
            ),
            "nl": (
                "Diamant (diamond)",
                "Een relatie met veel rechtstreekse lijnen tussen de functies van beide bedrijven,"
                " ook op directieniveau.",
            ),
        },
    ),
    Term(
        "relationship-stage",
        {
            "en": (
                "Relationship stage",
                "McDonald's stages of a key account relationship: exploratory, basic, cooperative,"
                " interdependent, integrated; and disintegrating when it falls back.",
            ),
            "nl": (
                "Relatiefase",
                "De fasen van een key-accountrelatie volgens McDonald: verkennend, basis, "
                "coöperatief, wederzijds afhankelijk, geïntegreerd; en desintegrerend als ze "
                "terugvalt.",
            ),
        },
    ),
    Term(
        "supplier-positioning",
        {
            "en": (
                "Supplier positioning (Kraljic)",
                "How the customer's purchasing files us, by profit impact and supply risk: "
                "strategic, bottleneck, leverage or non-critical.",
            ),
            "nl": (
                "Leverancierspositionering (Kraljic)",
                "Hoe de inkoop van de klant ons indeelt, naar winstimpact en leveringsrisico: "
                "strategisch, knelpunt, hefboom of routine.",
            ),
        },
    ),
    Term(
        "key-account-plan",
        {
            "en": (
                "Key account plan",
                "The plan for one key account: team, executive summary, profit plan, analysis, "
                "objectives, value propositions, projects, resources and timetable.",
            ),
            "nl": (
                "Key accountplan",
                "Het plan voor één key account: team, managementsamenvatting, winstplan, analyse, "
                "doelen, waardeproposities, projecten, middelen en planning.",
            ),
        },
    ),
    Term(
        "value-proposition",
        {
            "en": (
                "Value proposition",
                "Which problem of the customer we solve, with what solution, the impact on their "
                "business, who benefits, the measured value, our reward, and whether the customer "
                "has confirmed it.",
            ),
            "nl": (
                "Waardepropositie",
                "Welk probleem van de klant we oplossen, met welke oplossing, de impact op hun "
                "bedrijf, wie er baat bij heeft, de gemeten waarde, onze beloning, en of de klant "
                "het heeft bevestigd.",
            ),
        },
    ),
    Term(
        "joint-planning",
        {
            "en": (
                "Joint planning",
                "Sharing part of the plan (objectives, value propositions, the joint action list) "
                "with named people at the customer, who read it and update the actions they own.",
            ),
            "nl": (
                "Gezamenlijk plannen",
                "Een deel van het plan (doelen, waardeproposities, de gezamenlijke actielijst) "
                "delen met mensen bij de klant die je bij naam kent; zij lezen het en werken de "
                "acties bij waarvan ze eigenaar zijn.",
            ),
        },
    ),
)


def _collation_key(text: str) -> str:
    """Alphabetical order as a reader expects it: accents and case ignored."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class GlossaryEntry:
    """A term as the glossary page shows it in one language."""

    id: str
    term: str
    definition: SafeString


def glossary_terms(language: str) -> list[GlossaryEntry]:
    """Every term in ``language`` (English for a term that lacks it), alphabetical."""
    entries = []
    for t in TERMS:
        term, definition = t.text.get(language) or t.text[FALLBACK_LANGUAGE]
        entries.append(GlossaryEntry(id=t.id, term=term, definition=mark_safe(definition)))
    return sorted(entries, key=lambda e: _collation_key(e.term))
