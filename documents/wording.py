"""Sentences worded from an agreement's data, in English, Uzbek (Latin) and Russian.

The Word templates hold the fixed text (staff edit it in Word); the sentences
that depend on the agreement's dates, notice period and tacit renewal are
built here, per language, and reach the templates as `{{ en.term_clause }}`,
`{{ uz.renewal_clause }}`, ... Dates are written in each language's long
format (Babel): "March 5, 2026", "5-mart, 2026", "5 марта 2026 г.".
"""

from __future__ import annotations

from datetime import date
from typing import Any

LANGUAGE_NAMES = {
    "en": {"en": "English", "uz": "Uzbek", "ru": "Russian"},
    "uz": {"en": "ingliz", "uz": "o‘zbek", "ru": "rus"},
    "ru": {"en": "английском", "uz": "узбекском", "ru": "русском"},
}

#: How each language names the document in its sentences (Russian nouns have genders).
NOUNS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "mou": {"this": "This Memorandum", "it": "It", "acc": "this Memorandum",
                "gen": "this Memorandum"},
        "agreement": {"this": "This Agreement", "it": "It", "acc": "this Agreement",
                      "gen": "this Agreement"},
    },
    "uz": {
        "mou": {"this": "Ushbu Memorandum", "it": "Memorandum", "acc": "ushbu Memorandumni",
                "gen": "ushbu Memorandum"},
        "agreement": {"this": "Ushbu Bitim", "it": "Bitim", "acc": "ushbu Bitimni",
                      "gen": "ushbu Bitim"},
    },
    "ru": {
        "mou": {"this": "Настоящий Меморандум", "it": "Меморандум", "acc": "настоящий Меморандум",
                "gen": "настоящего Меморандума", "made": "составлен", "renewed": "продлён",
                "ends": "прекращается"},
        "agreement": {"this": "Настоящее Соглашение", "it": "Соглашение",
                      "acc": "настоящее Соглашение", "gen": "настоящего Соглашения",
                      "made": "составлено", "renewed": "продлено", "ends": "прекращается"},
    },
}

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "term_fixed": "{this} enters into force on {starts} and remains in force until "
                      "{expires} inclusive.",
        "term_indefinite": "{this} enters into force on {starts} and remains in force "
                           "for an indefinite period.",
        "term_open": "{this} enters into force on the date of its signature by both "
                     "Parties and remains in force until {expires} inclusive.",
        "term_unknown": "{this} enters into force on the date of its signature by both "
                        "Parties.",
        "renew_tacit": "It is renewed automatically for further periods of {months} months each, "
                       "unless either Party gives the other written notice of non-renewal at "
                       "least {days} days before its expiry.",
        "renew_tacit_no_days": "It is renewed automatically for further periods of {months} "
                               "months each, unless either Party gives the other written notice "
                               "of non-renewal before its expiry.",
        "renew_new": "It may be renewed by a new agreement signed by both Parties before its "
                     "expiry.",
        "notice_days": "Either Party may terminate {acc} by written notice to the other "
                       "Party; the termination takes effect {days} days after the notice is "
                       "received.",
        "notice_plain": "Either Party may terminate {acc} by written notice to the "
                        "other Party.",
        "ongoing": "Activities already begun are completed under the terms of {acc}.",
        "copies_two": "{this} is made in two originals in {l1} and {l2}, both texts "
                      "being equally authentic.",
        "copies_one": "{this} is made in two originals in {l1}, one for each Party.",
        "no_forms": "cooperation in education and research",
        "places": "{n} students per academic year in each direction",
        "places_none": "a number of students agreed each academic year in writing",
    },
    "uz": {
        "term_fixed": "{this} {starts} sanasidan kuchga kiradi va {expires} sanasiga "
                      "qadar (shu kun ham kiradi) amal qiladi.",
        "term_indefinite": "{this} {starts} sanasidan kuchga kiradi va muddatsiz amal "
                           "qiladi.",
        "term_open": "{this} Tomonlar tomonidan imzolangan kundan kuchga kiradi va "
                     "{expires} sanasiga qadar (shu kun ham kiradi) amal qiladi.",
        "term_unknown": "{this} Tomonlar tomonidan imzolangan kundan kuchga kiradi.",
        "renew_tacit": "Agar Tomonlardan biri amal qilish muddati tugashidan kamida {days} kun "
                       "oldin ikkinchi Tomonni uzaytirmaslik haqida yozma ravishda xabardor "
                       "qilmasa, {it} har safar {months} oyga avtomatik ravishda uzaytiriladi.",
        "renew_tacit_no_days": "Agar Tomonlardan biri amal qilish muddati tugashidan oldin "
                               "ikkinchi Tomonni uzaytirmaslik haqida yozma ravishda xabardor "
                               "qilmasa, {it} har safar {months} oyga avtomatik ravishda "
                               "uzaytiriladi.",
        "renew_new": "{it} amal qilish muddati tugashidan oldin Tomonlar tomonidan imzolangan "
                     "yangi bitim bilan uzaytirilishi mumkin.",
        "notice_days": "Har bir Tomon ikkinchi Tomonga yozma xabarnoma yuborib, {acc} "
                       "bekor qilishi mumkin; {it} xabarnoma olinganidan {days} kun o‘tgach "
                       "bekor qilinadi.",
        "notice_plain": "Har bir Tomon ikkinchi Tomonga yozma xabarnoma yuborib, {acc} "
                        "bekor qilishi mumkin.",
        "ongoing": "Boshlangan tadbirlar {gen} shartlari asosida yakunlanadi.",
        "copies_two": "{this} {l1} va {l2} tillarida ikki asl nusxada tuzildi, ikkala "
                      "matn bir xil yuridik kuchga ega.",
        "copies_one": "{this} {l1} tilida har bir Tomon uchun bittadan, ikki asl nusxada "
                      "tuzildi.",
        "no_forms": "ta’lim va ilmiy tadqiqotlar sohasidagi hamkorlik",
        "places": "har bir yo‘nalishda o‘quv yiliga {n} nafar talaba",
        "places_none": "har o‘quv yili yozma ravishda kelishiladigan talabalar soni",
    },
    "ru": {
        "term_fixed": "{this} вступает в силу {starts} и действует по {expires} "
                      "включительно.",
        "term_indefinite": "{this} вступает в силу {starts} и действует бессрочно.",
        "term_open": "{this} вступает в силу с даты его подписания Сторонами и "
                     "действует по {expires} включительно.",
        "term_unknown": "{this} вступает в силу с даты его подписания Сторонами.",
        "renew_tacit": "{it} автоматически продлевается на последующие периоды по {months} "
                       "мес., если ни одна из Сторон не уведомит другую в письменной форме об "
                       "отказе от продления не менее чем за {days} дн. до истечения срока его "
                       "действия.",
        "renew_tacit_no_days": "{it} автоматически продлевается на последующие периоды по "
                               "{months} мес., если ни одна из Сторон не уведомит другую в "
                               "письменной форме об отказе от продления до истечения срока его "
                               "действия.",
        "renew_new": "{it} может быть {renewed} путём подписания Сторонами нового "
                     "соглашения до истечения срока его действия.",
        "notice_days": "Каждая из Сторон вправе расторгнуть {acc}, письменно "
                       "уведомив другую Сторону; {it} {ends} через {days} дн. после "
                       "получения уведомления.",
        "notice_plain": "Каждая из Сторон вправе расторгнуть {acc}, письменно "
                        "уведомив другую Сторону.",
        "ongoing": "Начатые мероприятия завершаются на условиях {gen}.",
        "copies_two": "{this} {made} в двух подлинных экземплярах на {l1} и "
                      "{l2} языках, оба текста имеют одинаковую силу.",
        "copies_one": "{this} {made} в двух подлинных экземплярах на {l1} "
                      "языке, по одному для каждой из Сторон.",
        "no_forms": "сотрудничество в области образования и науки",
        "places": "{n} студентов в учебный год в каждом направлении",
        "places_none": "число студентов, ежегодно согласуемое Сторонами в письменной форме",
    },
}


def clauses(lang: str, a: Any, fmt: Any, languages: tuple[str, ...],
            noun: str = "agreement") -> dict[str, str]:
    """The agreement-dependent sentences in `lang` (`a`: the agreement row; `fmt`: a
    `reports.i18n.Formatter` for `lang`; `languages`: the document's languages; `noun`:
    `mou` or `agreement`, how the sentences name the document)."""
    words = NOUNS[lang][noun]
    t = {k: _fill(v, words) for k, v in _TEXT[lang].items()}
    starts, expires = _day(a.starts_on, fmt), _day(a.expires_on, fmt)
    if a.starts_on and a.expires_on:
        term = t["term_fixed"].format(starts=starts, expires=expires)
    elif a.starts_on and a.indefinite:
        term = t["term_indefinite"].format(starts=starts)
    elif a.expires_on:
        term = t["term_open"].format(expires=expires)
    else:
        term = t["term_unknown"]
    if a.auto_renew and a.renewal_months:
        key = "renew_tacit" if a.notice_days else "renew_tacit_no_days"
        renewal = t[key].format(months=a.renewal_months, days=a.notice_days)
    elif a.indefinite:
        renewal = ""
    else:
        renewal = t["renew_new"]
    notice = (t["notice_days"].format(days=a.notice_days) if a.notice_days else t["notice_plain"])
    names = LANGUAGE_NAMES[lang]
    copies = (t["copies_two"].format(l1=names[languages[0]], l2=names[languages[1]])
              if len(languages) == 2 else t["copies_one"].format(l1=names[languages[0]]))
    return {"term_clause": term, "renewal_clause": renewal,
            "notice_clause": f"{notice} {t['ongoing']}", "copies_clause": copies,
            "no_forms": t["no_forms"]}


def places(lang: str, quotas: dict[str, Any] | None) -> str:
    """Places per year in each direction, if the agreement records them."""
    n = None
    if isinstance(quotas, dict):
        for key in ("students", "student_exchange", "places", "per_year"):
            value = quotas.get(key)
            if isinstance(value, int) and value > 0:
                n = value
                break
    t = _TEXT[lang]
    return t["places"].format(n=n) if n else t["places_none"]


def _fill(text: str, words: dict[str, str]) -> str:
    for key, word in words.items():
        text = text.replace("{" + key + "}", word)
    return text


def _day(d: date | None, fmt: Any) -> str:
    return str(fmt.long_date(d)) if d else ""
