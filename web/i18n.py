"""Labels of the web interface in English, Uzbek and Russian, and date formatting.

The interface's own words (menus, buttons, headings) live here; data (titles,
partner names, notes) is shown as entered. Dates are business dates shown in
the reader's language; timestamps are shown in the office's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = {"en": "English", "uz": "O‘zbekcha", "ru": "Русский"}
DEFAULT_LANG = "en"

# key: (English, Uzbek, Russian)
_LABELS: dict[str, tuple[str, str, str]] = {
    # chrome
    "app.tagline": ("International agreements", "Xalqaro shartnomalar", "Международные соглашения"),
    "nav.dashboard": ("Dashboard", "Boshqaruv paneli", "Обзор"),
    "nav.agreements": ("Agreements", "Shartnomalar", "Соглашения"),
    "nav.new": ("New agreement", "Yangi shartnoma", "Новое соглашение"),
    "nav.partners": ("Partners", "Hamkorlar", "Партнёры"),
    "nav.outbox": ("Outbox", "Chiquvchi xatlar", "Исходящие"),
    "nav.reports": ("Reports", "Hisobotlar", "Отчёты"),
    "nav.lifecycle": ("Lifecycle", "Hayot sikli", "Жизненный цикл"),
    "nav.api": ("API", "API", "API"),
    "nav.account": ("Account", "Hisob", "Учётная запись"),
    "nav.skip": ("Skip to content", "Asosiy qismga o‘tish", "Перейти к содержимому"),
    "nav.main": ("Main menu", "Asosiy menyu", "Главное меню"),
    "auth.sign_in": ("Sign in", "Kirish", "Войти"),
    "auth.sign_out": ("Sign out", "Chiqish", "Выйти"),
    "auth.sign_out_everywhere": ("Sign out everywhere", "Hamma qurilmalarda chiqish", "Выйти на всех устройствах"),
    "auth.everywhere_help": ("Ends every session of your account: other computers and phones too (a lost phone, a shared computer).",
                             "Hisobingizning barcha seanslarini tugatadi: boshqa kompyuter va telefonlarda ham (yo‘qolgan telefon, umumiy kompyuter).",
                             "Завершает все сеансы вашей учётной записи, в том числе на других компьютерах и телефонах (потерянный телефон, общий компьютер)."),
    "auth.email": ("Email", "Elektron pochta", "Эл. почта"),
    "auth.password": ("Password", "Parol", "Пароль"),
    "auth.signed_in_as": ("Signed in as", "Kirgan foydalanuvchi", "Вы вошли как"),
    "auth.help": ("Ask an administrator to set your password with `hamkor user set-password`.",
                  "Parolni administrator `hamkor user set-password` bilan o‘rnatadi.",
                  "Пароль задаёт администратор командой `hamkor user set-password`."),
    "lang.label": ("Language", "Til", "Язык"),
    "lang.apply": ("Change", "O‘zgartirish", "Сменить"),
    # an agreement's files and documents (issue 20)
    "files.title": ("Files", "Fayllar", "Файлы"),
    "files.name": ("File", "Fayl", "Файл"),
    "files.kind": ("Kind", "Turi", "Вид"),
    "files.size": ("Size", "Hajmi", "Размер"),
    "files.uploaded": ("Uploaded", "Yuklangan", "Загружен"),
    "files.none": ("No files yet.", "Hozircha fayl yo‘q.", "Файлов пока нет."),
    "files.remove": ("Remove", "Olib tashlash", "Убрать"),
    "files.reason": ("Reason", "Sabab", "Причина"),
    "files.removed_list": ("Removed files ({n}): kept with their hashes", "Olib tashlangan fayllar ({n}): xeshlari bilan saqlanadi",
                           "Убранные файлы ({n}): хранятся вместе с хешами"),
    "files.upload": ("Upload a file", "Fayl yuklash", "Загрузить файл"),
    "files.upload_button": ("Upload", "Yuklash", "Загрузить"),
    "files.choose": ("File (PDF, DOCX, XLSX, ODT, PNG, JPEG or text)", "Fayl (PDF, DOCX, XLSX, ODT, PNG, JPEG yoki matn)",
                     "Файл (PDF, DOCX, XLSX, ODT, PNG, JPEG или текст)"),
    "files.drop": ("Or drop the file here. At most {mb} MB.", "Yoki faylni shu yerga tashlang. Ko‘pi bilan {mb} MB.",
                   "Или перетащите файл сюда. Не более {mb} МБ."),
    "files.stored": ("{name} stored; SHA-256 {sha}", "{name} saqlandi; SHA-256 {sha}", "{name} сохранён; SHA-256 {sha}"),
    "files.removed": ("{name} removed from the list; its bytes and record are kept.",
                      "{name} ro‘yxatdan olib tashlandi; fayl va yozuv saqlanadi.",
                      "{name} убран из списка; файл и запись сохранены."),
    "files.generate": ("Generate document", "Hujjat yaratish", "Создать документ"),
    "files.generate_button": ("Generate", "Yaratish", "Создать"),
    "files.template": ("Template", "Shablon", "Шаблон"),
    "files.format": ("Format", "Format", "Формат"),
    "files.attach_draft": ("Keep it with the agreement as a draft", "Shartnomaga qoralama sifatida biriktirish",
                           "Сохранить при соглашении как черновик"),
    "files.k.signed-copy": ("signed copy", "imzolangan nusxa", "подписанный экземпляр"),
    "files.k.draft": ("draft", "qoralama", "проект"),
    "files.k.partner-version": ("partner’s version", "hamkor varianti", "версия партнёра"),
    "files.k.annex": ("annex", "ilova", "приложение"),
    "files.k.other": ("other", "boshqa", "другое"),
    "files.missing_copy": ("Signed without a signed copy", "Imzolangan, lekin imzolangan nusxasi yo‘q",
                           "Подписаны, но нет подписанного экземпляра"),
    # dashboard
    "dash.title": ("Dashboard", "Boshqaruv paneli", "Обзор"),
    "dash.by_state": ("Agreements by state", "Holatlar bo‘yicha shartnomalar", "Соглашения по состояниям"),
    "dash.needs_action": ("Needs your action", "Sizning harakatingiz kerak", "Требует вашего внимания"),
    "dash.expiring": ("Expiring within {days} days", "{days} kun ichida tugaydi", "Истекают в течение {days} дней"),
    "dash.notice": ("Notice deadlines within {days} days", "{days} kun ichidagi ogohlantirish muddatlari",
                    "Сроки уведомления в течение {days} дней"),
    "dash.signatures": ("Awaiting signatures", "Imzolar kutilmoqda", "Ожидают подписей"),
    "dash.review": ("In review, waiting for your approval", "Ko‘rib chiqilmoqda, tasdig‘ingiz kutilmoqda",
                    "На рассмотрении, ждут вашего утверждения"),
    "dash.drafts": ("Your drafts", "Sizning qoralamalaringiz", "Ваши черновики"),
    "dash.needs_action_office": ("Needs action in the office", "Idorada harakat talab qilinadi", "Требует действий в отделе"),
    "dash.showing_office": ("Showing the whole office’s agreements", "Butun idoraning shartnomalari ko‘rsatilmoqda",
                            "Показаны соглашения всего отдела"),
    "dash.showing_mine": ("Showing the agreements you own", "Siz mas’ul bo‘lgan shartnomalar ko‘rsatilmoqda",
                          "Показаны соглашения, за которые отвечаете вы"),
    "dash.show_mine": ("show only mine", "faqat menikilar", "только мои"),
    "dash.show_office": ("show the team’s", "jamoanikini ko‘rsatish", "показать все соглашения команды"),
    "dash.returned": ("Returned with changes requested", "O‘zgartirish so‘ralib qaytarilgan",
                      "Возвращены на доработку"),
    "dash.changes_requested": ("{who} requested changes on {on}:", "{who} {on} kuni o‘zgartirish so‘radi:",
                               "{who} вернул(а) на доработку {on}:"),
    "dash.signed": ("Signed, starting soon", "Imzolangan, tez orada kuchga kiradi", "Подписаны, скоро вступят в силу"),
    "dash.drafts_office": ("Drafts", "Qoralamalar", "Черновики"),
    "ag.activates_on": ("activates automatically on {on}", "{on} kuni avtomatik kuchga kiradi",
                        "вступит в силу автоматически {on}"),
    "ag.no_start": ("no start date: it cannot activate until one is set", "boshlanish sanasi yo‘q: u belgilanmaguncha kuchga kirmaydi",
                    "нет даты начала: соглашение не вступит в силу, пока она не указана"),
    "cor.title": ("Correct {ref}", "{ref} ni tuzatish", "Исправить {ref}"),
    "cor.button": ("Correct details", "Ma’lumotlarni tuzatish", "Исправить сведения"),
    "cor.help": ("Title, owner, department, notes and forms can be corrected until the agreement ends; each change is recorded in the history with its old and new value. Dates and terms change only through the lifecycle (notice, renewal, amendments of the conditions).",
                 "Nom, mas’ul, bo‘lim, izoh va shakllarni shartnoma tugagunga qadar tuzatish mumkin; har bir o‘zgarish eski va yangi qiymati bilan tarixga yoziladi. Sanalar va shartlar faqat hayot sikli orqali o‘zgaradi (ogohlantirish, uzaytirish, shartlarga o‘zgartirish).",
                 "Название, ответственного, отдел, заметки и формы можно исправлять, пока соглашение не закончилось; каждое изменение записывается в историю со старым и новым значением. Даты и условия меняются только по жизненному циклу (уведомление, продление, изменение условий)."),
    "cor.owner_help": ("Receives the reminders; an officer, approver or admin.",
                       "Eslatmalarni oladi; xodim, tasdiqlovchi yoki administrator.",
                       "Получает напоминания; сотрудник, утверждающий или администратор."),
    "cor.save": ("Save the correction", "Tuzatishni saqlash", "Сохранить исправление"),
    "cor.cancel": ("Cancel", "Bekor qilish", "Отмена"),
    "dash.nothing": ("Nothing here.", "Hech narsa yo‘q.", "Здесь ничего нет."),
    "dash.more": ("…and {n} more in the register", "…va registrda yana {n} ta",
                  "…и ещё {n} в реестре"),
    "dash.viewer": ("You can read everything; changes need the officer role.",
                    "Siz hammasini ko‘ra olasiz; o‘zgartirish uchun xodim roli kerak.",
                    "Вы можете всё просматривать; для изменений нужна роль сотрудника."),
    "dash.deadline": ("notice by", "ogohlantirish muddati", "уведомить до"),
    "dash.total": ("Total", "Jami", "Всего"),
    # list
    "list.title": ("Agreements", "Shartnomalar", "Соглашения"),
    "list.search": ("Search", "Qidirish", "Поиск"),
    "list.search_hint": ("e.g. politecnico torino, Italy, 0613", "masalan: politecnico torino, Italiya, 0613",
                         "например: politecnico torino, Италия, 0613"),
    "list.search_help": ("Every word must appear somewhere: reference, title, partner, country (in any of the three languages), city, department, notes, hei-id or ISCED code. Capitals and accents do not matter.",
                         "Har bir so‘z biror joyda uchrashi kerak: raqam, nom, hamkor, mamlakat (uch tilning istalganida), shahar, bo‘lim, izoh, hei-id yoki ISCED kodi. Katta-kichik harf va urg‘u belgilari ahamiyatsiz.",
                         "Каждое слово должно встречаться где-либо: номер, название, партнёр, страна (на любом из трёх языков), город, отдел, заметки, hei-id или код ISCED. Регистр и диакритика не важны."),
    "list.bad_format": ("“{fmt}”: the list downloads as csv or xlsx", "“{fmt}”: ro‘yxat csv yoki xlsx ko‘rinishida yuklanadi",
                        "«{fmt}»: список скачивается в формате csv или xlsx"),
    "p.search_hint": ("name, country, city or hei-id", "nom, mamlakat, shahar yoki hei-id",
                      "название, страна, город или hei-id"),
    "p.found": ("{n} partners", "{n} ta hamkor", "Партнёров: {n}"),
    "list.country": ("Country", "Mamlakat", "Страна"),
    "list.download": ("Download this list", "Ushbu ro‘yxatni yuklab olish", "Скачать этот список"),
    "list.bad_days": ("Expiring within: “{value}” is not a whole number of days",
                      "Tugashiga: “{value}” butun kunlar soni emas",
                      "Истекает в течение: «{value}» — не целое число дней"),
    "list.state": ("State", "Holat", "Состояние"),
    "list.partner": ("Partner", "Hamkor", "Партнёр"),
    "list.any": ("any", "barchasi", "любое"),
    "list.expiring": ("Expiring within (days)", "Tugashiga (kun)", "Истекает в течение (дней)"),
    "list.filter": ("Filter", "Saralash", "Показать"),
    "list.found": ("{n} agreements", "{n} ta shartnoma", "Соглашений: {n}"),
    "list.prev": ("Previous page", "Oldingi sahifa", "Предыдущая страница"),
    "list.next": ("Next page", "Keyingi sahifa", "Следующая страница"),
    "list.page": ("Page {page} of {pages}", "{pages} dan {page}-sahifa", "Страница {page} из {pages}"),
    # agreement fields
    "f.ref": ("Reference", "Raqam", "Номер"),
    "f.title": ("Title", "Nomi", "Название"),
    "f.type": ("Type", "Turi", "Тип"),
    "f.state": ("State", "Holat", "Состояние"),
    "f.owner": ("Owner", "Mas’ul", "Ответственный"),
    "f.department": ("Department", "Bo‘lim", "Отдел"),
    "f.starts": ("Starts on", "Boshlanish sanasi", "Начало"),
    "f.expires": ("Last day in force", "Amal qilishning oxirgi kuni", "Последний день действия"),
    "f.months": ("or length in months", "yoki muddati (oy)", "или срок в месяцах"),
    "f.indefinite": ("Indefinite (no expiry)", "Muddatsiz", "Бессрочное"),
    "f.term": ("Term", "Muddat", "Срок"),
    "f.term_no": ("term", "muddat", "срок"),
    "f.auto_renew": ("Renews automatically unless notice is given",
                     "Ogohlantirilmasa avtomatik uzaytiriladi",
                     "Продлевается автоматически, если не направлено уведомление"),
    "f.renewal_months": ("Renewal period (months)", "Uzaytirish muddati (oy)", "Срок продления (мес.)"),
    "f.notice_days": ("Notice period (days)", "Ogohlantirish muddati (kun)", "Срок уведомления (дней)"),
    "f.forms": ("Forms of cooperation", "Hamkorlik shakllari", "Формы сотрудничества"),
    "f.parties": ("Parties", "Tomonlar", "Стороны"),
    "f.partners": ("Partners", "Hamkorlar", "Партнёры"),
    "f.notes": ("Notes", "Izohlar", "Примечания"),
    "f.renews": ("Renews", "Uzaytiradi", "Продлевает"),
    "f.successors": ("Successors", "Davomchilari", "Преемники"),
    "f.version": ("Version", "Versiya", "Версия"),
    "f.notice_given": ("Notice given on {on}; ends on {end}", "Ogohlantirish {on} da berilgan; {end} da tugaydi",
                       "Уведомление направлено {on}; действует до {end}"),
    "f.no_institution": ("Do not add the home institution as a party",
                         "O‘z muassasamizni tomon sifatida qo‘shmaslik",
                         "Не добавлять наш университет как сторону"),
    "f.created_on": ("Created on (for past agreements)", "Yaratilgan sana (o‘tgan shartnomalar uchun)",
                     "Дата создания (для прошлых соглашений)"),
    "f.country": ("Country", "Mamlakat", "Страна"),
    "f.kind": ("Kind", "Turi", "Вид"),
    "f.city": ("City", "Shahar", "Город"),
    "f.name": ("Name", "Nomi", "Название"),
    "f.erasmus_code": ("Erasmus code", "Erasmus kodi", "Код Erasmus"),
    "f.signed": ("signed {on}", "{on} da imzolangan", "подписано {on}"),
    "f.unsigned": ("not signed yet", "hali imzolanmagan", "ещё не подписано"),
    "f.none": ("—", "—", "—"),
    "f.required": ("required", "majburiy", "обязательно"),
    "f.indefinite_short": ("indefinite", "muddatsiz", "бессрочно"),
    # agreement page
    "ag.terms": ("Terms", "Shartlar", "Условия"),
    "ag.timeline": ("Timeline", "Tarix", "История"),
    "ag.actions": ("What can be done now", "Hozir nima qilish mumkin", "Что можно сделать сейчас"),
    "ag.not_now": ("Not possible now", "Hozir mumkin emas", "Сейчас невозможно"),
    "ag.no_actions": ("No action is open to you: the agreement is closed, only automatic events remain, or your role only reads.",
                      "Siz uchun amal yo‘q: shartnoma yopilgan, faqat avtomatik hodisalar qolgan yoki rolingiz faqat o‘qish uchun.",
                      "Доступных вам действий нет: соглашение закрыто, остались только автоматические события или ваша роль только для чтения."),
    "ag.edit": ("Edit draft", "Qoralamani tahrirlash", "Редактировать черновик"),
    "ag.renew": ("Renew: create the successor draft", "Uzaytirish: davomchi qoralamani yaratish",
                 "Продлить: создать черновик преемника"),
    "ag.note": ("Note", "Izoh", "Примечание"),
    "ag.on": ("Date of the event", "Hodisa sanasi", "Дата события"),
    "ag.party": ("Party signing", "Imzolayotgan tomon", "Подписывающая сторона"),
    "ag.effective": ("Last day in force (default: the expiry)", "Amal qilishning oxirgi kuni (odatiy: tugash sanasi)",
                     "Последний день действия (по умолчанию: дата окончания)"),
    "ag.renew_starts": ("Successor starts on (default: this one's expiry)",
                        "Davomchi boshlanishi (odatiy: shu shartnoma tugashi)",
                        "Начало преемника (по умолчанию: окончание этого)"),
    "ag.next_check": ("Next automatic check: {on}", "Keyingi avtomatik tekshiruv: {on}",
                      "Следующая автоматическая проверка: {on}"),
    "ag.by": ("by", "bajardi:", "выполнил:"),
    "ag.refused": ("Not done", "Bajarilmadi", "Не выполнено"),
    "ag.nothing_changed": ("Nothing was changed.", "Hech narsa o‘zgartirilmadi.", "Ничего не изменено."),
    "ag.conflict": ("{ref} was changed by someone else while you were looking at it; it is now {state} (version {version}). Nothing was changed: check the page below and try again.",
                    "{ref} siz ko‘rib turganingizda boshqa kishi tomonidan o‘zgartirildi; hozirgi holati: {state} (versiya {version}). Hech narsa o‘zgartirilmadi: quyidagini tekshirib, qayta urinib ko‘ring.",
                    "{ref} изменил кто-то другой, пока вы смотрели страницу; теперь состояние: {state} (версия {version}). Ничего не изменено: проверьте страницу и повторите."),
    "ag.done": ("{ref}: {event} done; state is now {state}.", "{ref}: {event} bajarildi; holati: {state}.",
                "{ref}: {event} выполнено; состояние: {state}."),
    "ag.created": ("Created {ref}.", "{ref} yaratildi.", "Создано {ref}."),
    "ag.saved": ("Saved {ref}.", "{ref} saqlandi.", "{ref} сохранено."),
    "ag.renewed": ("Created the successor draft {ref}.", "Davomchi qoralama {ref} yaratildi.",
                   "Создан черновик преемника {ref}."),
    "ag.do": ("Do it", "Bajarish", "Выполнить"),
    # cooperation conditions (EWP mobility specs)
    "c.title": ("Cooperation conditions", "Hamkorlik shartlari", "Условия сотрудничества"),
    "c.caption": ("Mobilities each academic year, by kind and direction",
                  "Har o‘quv yilidagi mobilliklar: turi va yo‘nalishi bo‘yicha",
                  "Мобильности в каждом учебном году по видам и направлениям"),
    "c.kind": ("Kind", "Turi", "Вид"),
    "c.direction": ("From → to", "Qayerdan → qayerga", "Откуда → куда"),
    "c.years": ("Academic years", "O‘quv yillari", "Учебные годы"),
    "c.mobilities": ("Mobilities per year", "Yiliga mobilliklar", "Мобильностей в год"),
    "c.duration": ("Months / days per year", "Yiliga oy / kun", "Месяцев / дней в год"),
    "c.subjects": ("Subject areas (ISCED-F)", "Fan sohalari (ISCED-F)", "Области знаний (ISCED-F)"),
    "c.languages": ("Languages (CEFR)", "Tillar (CEFR)", "Языки (CEFR)"),
    "c.eqf": ("EQF levels", "EQF darajalari", "Уровни EQF"),
    "c.none": ("None recorded.", "Qayd etilmagan.", "Не указаны."),
    "c.months": ("{n} months", "{n} oy", "{n} мес."),
    "c.days": ("{n} days", "{n} kun", "{n} дн."),
    "c.blended": ("blended mobility possible", "aralash (blended) mobillik mumkin",
                  "возможна смешанная мобильность"),
    "c.student-studies": ("Students: studies", "Talabalar: o‘qish", "Студенты: обучение"),
    "c.student-traineeship": ("Students: traineeship", "Talabalar: amaliyot", "Студенты: стажировка"),
    "c.staff-teacher": ("Staff: teaching", "Xodimlar: dars berish", "Сотрудники: преподавание"),
    "c.staff-training": ("Staff: training", "Xodimlar: malaka oshirish", "Сотрудники: повышение квалификации"),
    # Erasmus Without Paper
    "ewp.title": ("Erasmus Without Paper", "Erasmus Without Paper", "Erasmus Without Paper"),
    "ewp.iia_id": ("Our IIA id", "Bizning IIA identifikatori", "Наш идентификатор IIA"),
    "ewp.partner_iia_id": ("Partner’s IIA id", "Hamkorning IIA identifikatori", "Идентификатор IIA партнёра"),
    "ewp.hash": ("Our iia-hash", "Bizning iia-hash", "Наш iia-hash"),
    "ewp.partner_hash": ("Partner’s iia-hash", "Hamkorning iia-hash", "iia-hash партнёра"),
    "ewp.approval": ("Approval", "Tasdiqlash", "Одобрение"),
    "ewp.by_us": ("Approved by us", "Biz tasdiqlaganmiz", "Одобрено нами"),
    "ewp.by_partner": ("Approved by the partner", "Hamkor tasdiqlagan", "Одобрено партнёром"),
    "ewp.yes": ("yes", "ha", "да"),
    "ewp.no": ("no", "yo‘q", "нет"),
    "ewp.stale_ours": ("stale: the partner approved an earlier version of ours",
                       "eskirgan: hamkor bizning oldingi versiyamizni tasdiqlagan",
                       "устарело: партнёр одобрил прежнюю версию нашего текста"),
    "ewp.stale_theirs": ("stale: the partner’s copy has changed since",
                         "eskirgan: hamkorning nusxasi o‘shandan beri o‘zgargan",
                         "устарело: копия партнёра с тех пор изменилась"),
    "ewp.not_assigned": ("not assigned yet", "hali berilmagan", "ещё не присвоен"),
    "ewp.not_known": ("not known yet", "hali ma’lum emas", "ещё неизвестен"),
    "ewp.no_copy": ("no copy received yet", "nusxa hali olinmagan", "копия ещё не получена"),
    "ewp.not_iia": ("Not an EWP IIA yet: it gets an IIA id with its first cooperation condition or export.",
                    "Hali EWP IIA emas: IIA identifikatori birinchi hamkorlik sharti yoki eksport bilan beriladi.",
                    "Пока не EWP IIA: идентификатор IIA присваивается с первым условием сотрудничества или при экспорте."),
    "ewp.not_configured": ("Hashes and approvals are not shown: HAMKOR_INSTITUTION_HEI_ID (our hei-id) is not set.",
                           "Hash va tasdiqlar ko‘rsatilmaydi: HAMKOR_INSTITUTION_HEI_ID (bizning hei-id) o‘rnatilmagan.",
                           "Хеши и одобрения не показаны: не задан HAMKOR_INSTITUTION_HEI_ID (наш hei-id)."),
    "ewp.a.mutual": ("mutually approved", "o‘zaro tasdiqlangan", "одобрено обеими сторонами"),
    "ewp.a.stale": ("stale: the partner approved an earlier version", "eskirgan: hamkor oldingi versiyani tasdiqlagan",
                    "устарело: партнёр одобрил прежнюю версию"),
    "ewp.a.approved_by_partner": ("approved by the partner; waiting for our approval",
                                  "hamkor tasdiqlagan; bizning tasdig‘imiz kutilmoqda",
                                  "одобрено партнёром; ждёт нашего одобрения"),
    "ewp.a.approved_by_us": ("approved by us; waiting for the partner", "biz tasdiqlaganmiz; hamkor kutilmoqda",
                             "одобрено нами; ждёт партнёра"),
    "ewp.a.none": ("not approved yet", "hali tasdiqlanmagan", "ещё не одобрено"),
    "form.save": ("Save", "Saqlash", "Сохранить"),
    "form.create": ("Create draft", "Qoralama yaratish", "Создать черновик"),
    "form.cancel": ("Cancel", "Bekor qilish", "Отмена"),
    "form.new_title": ("New agreement", "Yangi shartnoma", "Новое соглашение"),
    "form.edit_title": ("Edit draft {ref}", "{ref} qoralamasini tahrirlash", "Редактирование черновика {ref}"),
    "form.term_help": ("Give the last day in force, or a length in months, or tick indefinite.",
                       "Oxirgi kunni yoki oylar sonini kiriting, yoki muddatsizni belgilang.",
                       "Укажите последний день действия, или срок в месяцах, или отметьте «бессрочное»."),
    "form.parties_help": ("Tick every party, in any order.", "Barcha tomonlarni belgilang.",
                          "Отметьте все стороны."),
    "form.partners_help": ("The home institution is added as a party automatically.",
                           "O‘z muassasamiz tomon sifatida avtomatik qo‘shiladi.",
                           "Наш университет добавляется как сторона автоматически."),
    # partners
    "p.title": ("Partners", "Hamkorlar", "Партнёры"),
    "p.add": ("Add a partner", "Hamkor qo‘shish", "Добавить партнёра"),
    "p.added": ("Added partner {name}.", "{name} hamkori qo‘shildi.", "Партнёр {name} добавлен."),
    # outbox
    "o.title": ("Outbox", "Chiquvchi xatlar", "Исходящие"),
    "o.status": ("Status", "Holat", "Статус"),
    "o.rule": ("Reminder", "Eslatma", "Напоминание"),
    "o.to": ("To", "Kimga", "Кому"),
    "o.due": ("Due", "Muddat", "Срок"),
    "o.subject": ("Subject", "Mavzu", "Тема"),
    "o.attempts": ("Attempts", "Urinishlar", "Попытки"),
    "o.retry": ("Retry", "Qayta yuborish", "Повторить"),
    "o.retried": ("Message {id} is queued again.", "{id}-xat qayta navbatga qo‘yildi.",
                  "Письмо {id} снова поставлено в очередь."),
    "o.retry_dead": ("Retry all dead messages", "Barcha o‘lik xatlarni qayta yuborish",
                     "Повторить все недоставленные"),
    "o.retried_dead": ("{n} dead message(s) queued again.", "{n} ta o‘lik xat qayta navbatga qo‘yildi.",
                       "Снова в очереди: {n} недоставленных писем."),
    "dash.mail_problems": ("Reminders need attention", "Eslatmalar e’tibor talab qiladi",
                           "Напоминания требуют внимания"),
    # reports
    "r.unknown_department": ("No agreement names the department “{name}”: the report would be empty.",
                             "“{name}” bo‘limi hech bir shartnomada yo‘q: hisobot bo‘sh bo‘lardi.",
                             "Ни в одном соглашении нет отдела «{name}»: отчёт был бы пустым."),
    "r.known_departments": ("Known departments: {names}.", "Mavjud bo‘limlar: {names}.", "Известные отделы: {names}."),
    "r.department_help": ("Leave empty for the whole office; otherwise one of the departments named in agreements.",
                          "Butun idora uchun bo‘sh qoldiring; aks holda shartnomalardagi bo‘limlardan birini tanlang.",
                          "Оставьте пустым для всего офиса; иначе — один из отделов, указанных в соглашениях."),
    "r.title": ("Annual reports", "Yillik hisobotlar", "Годовые отчёты"),
    "r.generate": ("Generate and download", "Yaratish va yuklab olish", "Создать и скачать"),
    "r.year": ("Year", "Yil", "Год"),
    "r.format": ("Format", "Format", "Формат"),
    "r.lang": ("Report language", "Hisobot tili", "Язык отчёта"),
    "r.generated": ("Generated reports", "Yaratilgan hisobotlar", "Созданные отчёты"),
    "r.download": ("Download", "Yuklab olish", "Скачать"),
    # lifecycle
    "l.title": ("Lifecycle", "Hayot sikli", "Жизненный цикл"),
    "l.event": ("Event", "Hodisa", "Событие"),
    "l.events": ("Events", "Hodisalar", "События"),
    "l.from": ("From", "Qayerdan", "Из"),
    "l.to": ("To", "Qayerga", "В"),
    "l.role": ("Role", "Rol", "Роль"),
    "l.how": ("How", "Qanday", "Как"),
    "l.manual": ("manual", "qo‘lda", "вручную"),
    "l.auto": ("automatic", "avtomatik", "автоматически"),
    "l.both": ("manual or automatic", "qo‘lda yoki avtomatik", "вручную или автоматически"),
    "l.unchanged": ("(unchanged)", "(o‘zgarmaydi)", "(без изменений)"),
    "l.note": ("note required", "izoh majburiy", "нужно примечание"),
    "l.source": ("Diagram source (mermaid / Graphviz dot)", "Diagramma manbasi (mermaid / Graphviz dot)",
                 "Исходный текст диаграммы (mermaid / Graphviz dot)"),
    "l.terminal": ("final state", "yakuniy holat", "конечное состояние"),
    # account
    "a.title": ("Your account", "Hisobingiz", "Ваша учётная запись"),
    "a.tokens": ("API tokens", "API tokenlari", "API-токены"),
    "a.token_name": ("Token name", "Token nomi", "Название токена"),
    "a.create_token": ("Create token", "Token yaratish", "Создать токен"),
    "a.token_once": ("Copy this token now; it will not be shown again:", "Tokenni hozir nusxalang, u qayta ko‘rsatilmaydi:",
                     "Скопируйте токен сейчас, он больше не будет показан:"),
    "a.revoke": ("Revoke", "Bekor qilish", "Отозвать"),
    "a.revoked": ("revoked", "bekor qilingan", "отозван"),
    "a.active": ("active", "faol", "активен"),
    "a.last_used": ("Last used", "Oxirgi foydalanilgan", "Последнее использование"),
    "a.created": ("Created", "Yaratilgan", "Создан"),
    "a.password": ("Change password", "Parolni o‘zgartirish", "Сменить пароль"),
    "a.current": ("Current password", "Joriy parol", "Текущий пароль"),
    "a.new": ("New password", "Yangi parol", "Новый пароль"),
    "a.repeat": ("Repeat the new password", "Yangi parolni takrorlang", "Повторите новый пароль"),
    "a.password_changed": ("Password changed.", "Parol o‘zgartirildi.", "Пароль изменён."),
    "a.mismatch": ("the two new passwords differ", "yangi parollar bir xil emas", "новые пароли не совпадают"),
    "a.token_revoked": ("Token {id} revoked.", "{id}-token bekor qilindi.", "Токен {id} отозван."),
    # mail language, calendar feed, opening a sent message
    "m.mail": ("Your mail", "Xatlaringiz", "Ваша почта"),
    "m.lang": ("Language of the mail Hamkor sends you", "Hamkor yuboradigan xatlar tili",
               "Язык писем, которые присылает Hamkor"),
    "m.lang_saved": ("Your mail will be in {lang}.", "Xatlaringiz {lang} tilida bo‘ladi.",
                     "Письма будут приходить на языке: {lang}."),
    "m.save": ("Save", "Saqlash", "Сохранить"),
    "m.calendar": ("Calendar feed", "Taqvim lentasi", "Календарь"),
    "m.calendar_help": ("Subscribe to this address in Outlook, Google Calendar or your phone to see "
                        "starts, last days in force, notice deadlines and renewal windows. Anyone "
                        "with the address can read it: keep it secret, reset it if it leaks.",
                        "Boshlanish, amal qilishning oxirgi kunlari, ogohlantirish muddatlari va "
                        "uzaytirish davrlarini ko‘rish uchun bu manzilni Outlook, Google Calendar yoki "
                        "telefoningizga qo‘shing. Manzilni bilgan har kim uni o‘qiy oladi: sir saqlang, "
                        "oshkor bo‘lsa yangilang.",
                        "Подпишитесь на этот адрес в Outlook, Google Календаре или на телефоне, чтобы "
                        "видеть начало, последние дни действия, сроки уведомления и окна продления. "
                        "Адрес может прочитать любой, кто его знает: храните его в тайне и смените, "
                        "если он стал известен."),
    "m.calendar_once": ("Copy this address now; it will not be shown again:",
                        "Manzilni hozir nusxalang, u qayta ko‘rsatilmaydi:",
                        "Скопируйте адрес сейчас, он больше не будет показан:"),
    "m.calendar_active": ("A calendar address is active since {when}.",
                          "Taqvim manzili {when} dan beri faol.", "Адрес календаря действует с {when}."),
    "m.calendar_none": ("You have no calendar address.", "Sizda taqvim manzili yo‘q.",
                        "У вас нет адреса календаря."),
    "m.calendar_create": ("Create a calendar address", "Taqvim manzilini yaratish", "Создать адрес календаря"),
    "m.calendar_reset": ("Replace the address", "Manzilni almashtirish", "Заменить адрес"),
    "m.calendar_revoke": ("Revoke the address", "Manzilni bekor qilish", "Отозвать адрес"),
    "m.calendar_revoked": ("The calendar address no longer works.", "Taqvim manzili endi ishlamaydi.",
                           "Адрес календаря больше не работает."),
    "m.kind": ("Kind", "Turi", "Вид"),
    "m.kind.reminder": ("reminder", "eslatma", "напоминание"),
    "m.kind.workflow": ("workflow", "jarayon", "процесс"),
    "m.kind.digest": ("digest", "haftalik xulosa", "сводка"),
    "m.open": ("Open", "Ochish", "Открыть"),
    "m.message": ("Message {id}", "{id}-xat", "Письмо {id}"),
    "m.as_sent": ("As it was sent", "Yuborilgan ko‘rinishi", "Как было отправлено"),
    "m.as_queued": ("As it will be sent", "Yuboriladigan ko‘rinishi", "Как будет отправлено"),
    "m.text": ("Text", "Matn", "Текст"),
    "m.html": ("HTML", "HTML", "HTML"),
    # errors
    "e.title": ("Something is not right", "Nimadir noto‘g‘ri", "Что-то не так"),
    "e.csrf": ("The form was too old or did not come from this site; nothing was changed. Please try again.",
               "Shakl eskirgan yoki bu saytdan emas; hech narsa o‘zgartirilmadi. Qayta urinib ko‘ring.",
               "Форма устарела или отправлена не с этого сайта; ничего не изменено. Попробуйте ещё раз."),
    "e.not_found": ("Not found", "Topilmadi", "Не найдено"),
    "e.forbidden": ("Your role does not allow this.", "Rolingiz bunga ruxsat bermaydi.", "Ваша роль этого не позволяет."),
}

STATE_LABELS: dict[str, tuple[str, str, str]] = {
    "draft": ("draft", "qoralama", "черновик"),
    "in_review": ("in review", "ko‘rib chiqilmoqda", "на рассмотрении"),
    "approved": ("approved", "tasdiqlangan", "утверждено"),
    "awaiting_signatures": ("awaiting signatures", "imzolar kutilmoqda", "ожидает подписей"),
    "signed": ("signed", "imzolangan", "подписано"),
    "active": ("active", "amalda", "действует"),
    "renewal_due": ("renewal due", "uzaytirish vaqti", "пора продлевать"),
    "expired": ("expired", "muddati tugagan", "истекло"),
    "superseded": ("superseded", "almashtirilgan", "заменено"),
    "terminated": ("terminated", "bekor qilingan", "расторгнуто"),
    "withdrawn": ("withdrawn", "qaytarib olingan", "отозвано"),
}

EVENT_LABELS: dict[str, tuple[str, str, str]] = {
    "create": ("created", "yaratildi", "создано"),
    "import": ("imported", "import qilindi", "импортировано"),
    "edit": ("edited", "tahrirlandi", "изменено"),
    "amend": ("amended", "o‘zgartirildi", "изменено"),
    "coverage_gap": ("coverage gap", "qamrovda uzilish", "разрыв действия"),
    "ewp_approval": ("EWP: we approved the partner’s copy", "EWP: hamkor nusxasini tasdiqladik",
                     "EWP: мы одобрили копию партнёра"),
    "ewp_partner_approval": ("EWP: the partner approved our copy", "EWP: hamkor bizning nusxamizni tasdiqladi",
                             "EWP: партнёр одобрил нашу копию"),
    "attach": ("file attached", "fayl biriktirildi", "файл приложен"),
    "detach": ("file removed", "fayl olib tashlandi", "файл убран"),
    "submit": ("Submit for review", "Ko‘rib chiqishga yuborish", "Отправить на рассмотрение"),
    "request_changes": ("Request changes", "O‘zgartirish so‘rash", "Вернуть на доработку"),
    "approve": ("Approve", "Tasdiqlash", "Утвердить"),
    "send_for_signature": ("Send for signature", "Imzoga yuborish", "Отправить на подпись"),
    "sign": ("Record a signature", "Imzoni qayd etish", "Отметить подпись"),
    "activate": ("Activate", "Kuchga kiritish", "Ввести в действие"),
    "open_renewal": ("Renewal window opened", "Uzaytirish davri ochildi", "Открыто окно продления"),
    "renew": ("Renew", "Uzaytirish", "Продлить"),
    "give_notice": ("Give notice", "Ogohlantirish berish", "Направить уведомление"),
    "auto_renew": ("Renewed automatically", "Avtomatik uzaytirildi", "Продлено автоматически"),
    "expire": ("Expired", "Muddati tugadi", "Истекло"),
    "terminate": ("Terminate", "Bekor qilish", "Расторгнуть"),
    "withdraw": ("Withdraw", "Qaytarib olish", "Отозвать"),
    "supersede": ("Superseded", "Almashtirildi", "Заменено"),
}

#: Field names inside a refusal's sentence (workflow/rules.py names the field; the
#: form's own label `f.<field>` is used when there is no entry here).
FIELD_NAMES: dict[str, tuple[str, str, str]] = {
    "months": ("Length in months", "Muddati (oy)", "Срок в месяцах"),
    "auto_renew": ("Renews automatically", "Avtomatik uzaytiriladi", "Продлевается автоматически"),
    "renewal_months": ("Renewal period", "Uzaytirish muddati", "Срок продления"),
    "notice_days": ("Notice period", "Ogohlantirish muddati", "Срок уведомления"),
    "indefinite": ("Indefinite", "Muddatsiz", "Бессрочное"),
    "note": ("Note", "Izoh", "Примечание"),
    "on": ("Date", "Sana", "Дата"),
    "party": ("Party signing", "Imzolovchi tomon", "Подписывающая сторона"),
    "effective": ("Last day in force", "Amal qilishning oxirgi kuni", "Последний день действия"),
    "by": ("Acting user", "Amalni bajaruvchi", "Действующий пользователь"),
    "email": ("Email", "Elektron pochta", "Эл. почта"),
    "role": ("Role", "Rol", "Роль"),
    "partner_name": ("Name", "Nomi", "Название"),
    "token_name": ("Token name", "Token nomi", "Название токена"),
    "password": ("Password", "Parol", "Пароль"),
    "hei_id": ("hei-id", "hei-id", "hei-id"),
    "pic": ("PIC", "PIC", "PIC"),
    "website": ("Website", "Veb-sayt", "Сайт"),
    "expiring_within": ("Expiring within (days)", "Tugash muddati (kun)", "Истекают в течение (дней)"),
    "limit": ("Limit", "Chegara", "Предел"),
    "event": ("Event", "Hodisa", "Событие"),
    "q": ("Search", "Qidiruv", "Поиск"),
    "year": ("Year", "Yil", "Год"),
    "id": ("Number", "Raqam", "Номер"),
}

#: Refusals' sentences in Uzbek and Russian (English: workflow/rules.py), by rule code.
RULE_MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("{field} bo‘sh bo‘lmasligi kerak", "Поле «{field}» не должно быть пустым"),
    "text.too_long": ("{field} ko‘pi bilan {limit} belgidan iborat bo‘lishi kerak ({length} berildi)",
                      "Поле «{field}»: не более {limit} символов (дано {length})"),
    "text.control": ("{field} boshqaruv belgisini o‘z ichiga oladi ({char}); uni olib tashlang",
                     "Поле «{field}» содержит управляющий символ ({char}); удалите его"),
    "text.surrogate": ("{field} buzilgan Unicode matnni o‘z ichiga oladi",
                       "Поле «{field}» содержит повреждённый текст Unicode"),
    "date.format": ("{field}: {value!r} sana emas (YYYY-MM-DD)",
                    "Поле «{field}»: {value!r} — не дата (ГГГГ-ММ-ДД)"),
    "date.range": ("{field}: {value} {earliest}..{latest} oralig‘idan tashqarida",
                   "Поле «{field}»: {value} вне диапазона {earliest}..{latest}"),
    "date.future": ("{field}: {value} kelajakda", "Поле «{field}»: {value} — в будущем"),
    "integer.format": ("{field}: {value!r} butun son emas", "Поле «{field}»: {value!r} — не целое число"),
    "integer.min": ("{field} kamida {minimum} bo‘lishi kerak", "Поле «{field}»: не меньше {minimum}"),
    "integer.max": ("{field} ko‘pi bilan {maximum} bo‘lishi kerak",
                    "Поле «{field}»: не больше {maximum}"),
    "email.format": ("{field}: {value!r} elektron pochta manzili emas (name@example.org)",
                     "Поле «{field}»: {value!r} — не адрес эл. почты (name@example.org)"),
    "choice": ("{field}: {value!r} quyidagilardan biri emas: {choices}",
               "Поле «{field}»: {value!r} — не одно из: {choices}"),
    "hei_id.format": ("{field}: {value!r} polito.it kabi kichik harfli SCHAC kodi emas",
                      "Поле «{field}»: {value!r} — не код SCHAC в нижнем регистре, как polito.it"),
    "country.format": ("{field}: {value!r} ISO 3166 alpha-2 kodi emas (masalan UZ, JP, IT)",
                       "Поле «{field}»: {value!r} — не код ISO 3166 alpha-2 (например UZ, JP, IT)"),
    "term.one_of": ("{f_expires}, {f_months}, {f_indefinite} dan faqat bittasini bering",
                    "Укажите только одно из: «{f_expires}», «{f_months}», «{f_indefinite}»"),
    "term.months_need_start": ("{f_months} uchun {f_starts} kerak",
                               "Для поля «{f_months}» нужно поле «{f_starts}»"),
    "term.runs_past": ("{f_months} {months} ({starts} dan) {latest} dan oshib ketadi",
                       "«{f_months}» {months} от {starts} выходит за {latest}"),
    "term.expires_before_starts": ("{f_expires} {expires} {f_starts} {starts} dan oldin",
                                   "«{f_expires}» {expires} раньше, чем «{f_starts}» {starts}"),
    "term.auto_renew_needs_months": ("{f_auto_renew} uchun {f_renewal_months} kerak (0 dan katta)",
                                     "Для «{f_auto_renew}» нужен «{f_renewal_months}» (больше 0)"),
    "term.indefinite_auto_renew": ("muddatsiz shartnoma avtomatik uzaytirilmaydi",
                                   "бессрочное соглашение не продлевается автоматически"),
    "partners.required": ("kamida bitta hamkor kerak", "нужен хотя бы один партнёр"),
    "partners.twice": ("{name} hamkori ikki marta ko‘rsatilgan", "партнёр {name} указан дважды"),
    "partners.two_parties": ("shartnomaga kamida ikki tomon kerak",
                             "у соглашения должно быть не меньше двух сторон"),
    "password.short": ("parol kamida {minimum} belgidan iborat bo‘lishi kerak",
                       "пароль должен содержать не меньше {minimum} символов"),
    "password.long": ("parol ko‘pi bilan {maximum} belgidan iborat bo‘lishi kerak",
                      "пароль должен содержать не больше {maximum} символов"),
    "password.is_email": ("parol elektron pochta manzili bo‘lmasligi kerak",
                          "пароль не должен совпадать с адресом эл. почты"),
    "guard.note": ("izoh kerak ({f_note})", "нужно примечание ({f_note})"),
    "guard.on_future": ("{f_on} {on} kelajakda", "«{f_on}» {on} — в будущем"),
    "guard.party_missing": ("{f_party} kerak: {parties} dan biri", "Нужно поле «{f_party}»: одно из {parties}"),
}

_INDEX = {"en": 0, "uz": 1, "ru": 2}
#: Column names (as the history's `edit` lines name them) → label keys.
FIELD_KEYS = {"title": "f.title", "type": "f.type", "owner": "f.owner", "department": "f.department",
              "notes": "f.notes", "forms": "f.forms", "starts_on": "f.starts", "expires_on": "f.expires",
              "indefinite": "f.indefinite_short", "auto_renew": "f.auto_renew",
              "renewal_months": "f.renewal_months", "notice_days": "f.notice_days",
              "parties": "f.parties"}


def pick_language(requested: str | None, accept_language: str | None) -> str:
    """The session's choice, else the browser's first supported language, else English."""
    if requested in LANGUAGES:
        return requested
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANG


class Translator:
    def __init__(self, lang: str, zone: ZoneInfo) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANG
        self.zone = zone
        self._i = _INDEX[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        entry = _LABELS.get(key)
        text = entry[self._i] if entry else key
        return text.format(**values) if values else text

    def field_name(self, name: str) -> str:
        """A field's name inside a sentence, in the reader's language."""
        entry = FIELD_NAMES.get(name) or _LABELS.get(f"f.{name}")
        return entry[self._i] if entry else name.replace("_", " ")

    def rule(self, problem: Any) -> str | None:
        """The template of a refusal (a `Problem`) in the reader's language; None: English."""
        entry = RULE_MESSAGES.get(problem.code) if self._i else None
        return entry[self._i - 1] if entry else None

    def state(self, value: str | None) -> str:
        entry = STATE_LABELS.get(value or "")
        return entry[self._i] if entry else (value or "")

    def event(self, value: str) -> str:
        entry = EVENT_LABELS.get(value)
        return entry[self._i] if entry else value.replace("_", " ")

    def _labels(self) -> Any:
        """The reports' gettext catalogs (shared: one translation of a code everywhere)."""
        return _formatter(self.lang)

    def type(self, value: str | None) -> str:
        """An agreement type's name (`double_degree` → "Double degree" / "Qo‘sh diplom")."""
        return str(self._labels().label("type", value)) if value else ""

    def form(self, value: str | None) -> str:
        return str(self._labels().label("form", value)) if value else ""

    def kind(self, value: str | None) -> str:
        """A partner kind (university, company, ...)."""
        return str(self._labels().label("kind", value)) if value else ""

    def country(self, code: str | None) -> str:
        """A country's name in this language (Babel's CLDR data), from its ISO code."""
        return str(self._labels().country(code)) if code else ""

    def field(self, name: str) -> str:
        """An agreement field's label, by its column name (the history's `edit` lines)."""
        entry = _LABELS.get(FIELD_KEYS.get(name, ""))
        return entry[self._i] if entry else name.replace("_", " ")

    def date(self, value: date | str | None) -> str:
        """A business date, e.g. '19 Feb 2020' / '19-fev, 2020' / '19 февр. 2020 г.'."""
        if not value:
            return ""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return _format_date(day, self.lang)

    def datetime(self, value: datetime | str | None) -> str:
        """A UTC timestamp, shown in the office's time zone."""
        if not value:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return _format_datetime(moment, self.zone, self.lang)


@lru_cache(maxsize=3)
def _formatter(lang: str) -> Any:
    from reports.i18n import Formatter

    return Formatter(lang)


def _format_date(day: date, lang: str) -> str:
    from workflow.dates import format_date

    return format_date(day, lang, "medium")


def _format_datetime(moment: datetime, zone: ZoneInfo, lang: str) -> str:
    from babel.dates import format_datetime

    return format_datetime(moment, format="medium", tzinfo=zone, locale=lang)


# Cooperation activity (issue 21): its labels live beside its pages.
from web.activity_labels import LABELS as _ACTIVITY_LABELS  # noqa: E402

_LABELS.update(_ACTIVITY_LABELS)
