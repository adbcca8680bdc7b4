"""Hand-written realistic Amharic texts for the rule pre-annotations (tests and bench/rules.py).

The ads carry no phone number, as real ones often do not (the contact is in a button, a pinned
post or the channel profile). Written for this project from the patterns real channels use; not
copied from any channel.
"""

from __future__ import annotations

#: (kind, text) of ads without a phone number.
ADS_WITHOUT_PHONE_BY_KIND: list[tuple[str, str]] = [
    ("sale", "አያት አካባቢ ባለ 3 መኝታ ኮንዶሚኒየም ቤት በአስቸኳይ ይሸጣል"),
    ("sale", "የሚሸጥ ቦታ፤ ለገጣፎ 250 ካሬ ካርታ ያለው"),
    ("sale", "ለሽያጭ የቀረቡ ያገለገሉ ፍሪጆች በጥሩ ሁኔታ ላይ ያሉ"),
    ("sale", "አዲስ የመጡ የህፃናት ልብሶች በጅምላ እና በችርቻሮ እንሸጣለን"),
    ("rent", "ቦሌ ሩዋንዳ አካባቢ ባለ 2 መኝታ አፓርትመንት ለኪራይ"),
    ("rent", "የሚከራይ ሰርቪስ ቤት ሰሚት አካባቢ፤ ወርሃዊ ክፍያ 15,000 ብር"),
    ("rent", "ለቢሮ የሚሆን 120 ካሬ ቦታ ይከራያል፤ ፒያሳ"),
    ("rent", "ተከራይ እንፈልጋለን፤ መገናኛ አካባቢ ለሱቅ የሚሆን ቤት"),
    ("millions", "ሲኤምሲ G+1 ቤት 300 ካሬ ላይ ያረፈ ዋጋ 18 ሚሊዮን"),
    ("millions", "ቪትዝ 2012 ሞዴል ዋጋ 1.65 ሚሊየን ብር"),
    ("millions", "ጀሞ ኮንዶሚኒየም ባለ 1 መኝታ 2.8-3 ሚሊዮን"),
    ("per_square_metre", "ለቡ አካባቢ የተገነቡ አፓርታማዎች በካሬ 85,000 ብር ብቻ"),
    ("per_square_metre", "ከ 75 ካሬ ጀምሮ ባለ 2 መኝታ አፓርትመንት፤ 30% ቅድመ ክፍያ"),
    ("negotiable", "ሀይሉክስ 2015 ንፁህ መኪና ዋጋ ድርድር አለው"),
    ("negotiable", "ቤቱ 200 ካሬ ነው ዋጋው በድርድር"),
    ("car_sale", "ቶዮታ ኮሮላ 2010 ሞዴል አውቶማቲክ ኮድ 3 የሚሸጥ"),
    ("car_sale", "ሱዙኪ ዲዛየር 2019 ሞዴል 45,000 ኪሎ ሜትር የሄደ ለሽያጭ"),
    ("training", "የግራፊክስ ዲዛይን ስልጠና ምዝገባ ጀምረናል፤ ቦታ ውስን ስለሆነ አሁኑኑ ይመዝገቡ"),
    ("training", "የአካውንቲንግ እና ፒችትሪ ኮርስ በ2 ወር፤ ምዝገባ ተጀምሯል"),
    ("signature", "አዳዲስ ቤቶች በየቀኑ ይለቀቃሉ\nለበለጠ መረጃ @addis_homes"),
    ("signature", "ጥራታቸውን የጠበቁ የቤት እቃዎች\nለተጨማሪ መረጃ ያናግሩን @furni_et"),
    ("signature", "ለበለጠ መርጃ inbox ያድርጉ 👉 @shega_cars"),
]

#: The ad texts alone.
ADS_WITHOUT_PHONE: list[str] = [text for _, text in ADS_WITHOUT_PHONE_BY_KIND]

#: Non-ads that quote prices or use sale words: news about inflation, fuel, markets, housing.
NEWS_WITH_PRICES: list[str] = [
    "የዋጋ ግሽበት በመቶ 30 መድረሱን ብሔራዊ ባንክ አስታውቋል፤ የጤፍ ዋጋ 120 ብር ደርሷል",
    "የነዳጅ ዋጋ ከነገ ጀምሮ በሊትር 5 ብር ጭማሪ እንደሚኖረው ሚኒስቴሩ ገልጿል",
    "መንግስት 20 ሺ የጋራ መኖሪያ ቤቶችን ለዕጣ ማቅረቡን ተናግረዋል",
    "የዶላር ምንዛሬ በጥቁር ገበያ 150 ብር መድረሱ ተዘግቧል",
    "ፖሊስ 2 ሚሊዮን ብር የሚገመት ኮንትሮባንድ እቃ መያዙን አስታውቋል",
    "በአዲስ አበባ የቤት ኪራይ ዋጋ መጨመሩን ነዋሪዎች ተናግረዋል",
    "የስንዴ ዋጋ በኩንታል 6,000 ብር መሸጡን የገበያ ጥናቱ አመልክቷል",
    "ዛሬ በአዲስ አበባ ከባድ ዝናብ ይጥላል ተብሏል።",
]

#: Round 2: written after the first version of rules-v2 was frozen and measured once (5 of 12
#: marked Ad), then used to extend the rules (business first-person verbs, condition words,
#: ኢንቦክስ, "dm" as weak evidence): no longer held out. Not asserted by the tests.
ROUND2_ADS: list[str] = [
    "ሳሪስ አቦ አካባቢ 140 ካሬ ላይ የተሰራ ቪላ ቤት ዋጋ 12.5 ሚሊዮን",
    "የሰርግ ቬሎ እና ሱፍ በኪራይ እናቀርባለን",
    "ኦሪጅናል አይፎን 14 ፕሮ ማክስ 256GB በጥሩ ዋጋ አለን ኢንቦክስ አድርጉን",
    "የእንግሊዝኛ ቋንቋ ማሻሻያ ትምህርት ለ 3 ወራት ቅዳሜ እና እሁድ ብቻ",
    "ሱቅ ለኪራይ ቦሌ መድሃኔዓለም ፊት ለፊት",
    "ዲሴል ጀነሬተር 50 ኪሎ ዋት ያገለገለ በ 850 ሺ",
    "የቤት ሰራተኛ እና ሞግዚት እናገናኛለን፤ ለበለጠ መረጃ ከታች ያለውን ሊንክ ይጫኑ",
    "ኮሮላ 2008 ሞዴል ለሽያጭ ቀርቧል ዋጋ 1.2 ሚሊዮን ድርድር አለ",
    "ዘመናዊ የጂም እቃዎች በቅናሽ ዋጋ፤ አድራሻ ሜክሲኮ",
    "የሂሳብ እና ፊዚክስ ቲቶሪያል ለ 12ኛ ክፍል ተማሪዎች፤ ምዝገባ ላይ ነን",
    "አዲስ ኮንዶሚኒየም ባለ 3 መኝታ የሚሸጥ ቅድሚያ ክፍያ 40%",
    "ለልደትና ለሰርግ ኬክ ትዕዛዝ እንቀበላለን DM",
]

#: Non-ads written at the same time as :data:`ROUND2_ADS` (chat and news that mention prices).
ROUND2_NON_ADS: list[str] = [
    "ዛሬ ገበያ ሄጄ ሽንኩርት በኪሎ 80 ብር ገዛሁ በጣም ተወዷል",
    "የኢትዮጵያ አየር መንገድ አዲስ አውሮፕላን መረከቡን አስታወቀ",
    "ጓደኛዬ መኪናውን በ2 ሚሊዮን ሸጠው ይገርማል",
    "የአዲስ አበባ ቤት ኪራይ ለምን ይህን ያህል ጨመረ? ምን ትላላችሁ?",
    "ኮንዶሚኒየም ቤቶች እጣ ነገ ይወጣል ተብሏል",
    "እንኳን ለብርሃነ ልደቱ በሰላም አደረሳችሁ",
    "የቡና ዋጋ በዓለም ገበያ ቀንሷል",
    "ትምህርት ቤቶች ከሰኞ ጀምሮ ይከፈታሉ ሲል የትምህርት ሚኒስቴር ገልጿል",
]

#: Written after the round-2 changes were frozen, measured once by bench/rules.py and never tuned
#: to (not asserted by the tests): the one check here on texts the rules were not written against.
HELD_OUT_ADS: list[str] = [
    "ጎተራ ኮንዶሚኒየም ባለ 2 መኝታ 4ኛ ፎቅ በ 6.8 ሚሊየን",
    "ሲኖትራክ ገልባጭ 2014 ዓ.ም ሞዴል በጣም ንፁህ",
    "ለፓርቲ እና ለስብሰባ የሚሆን አዳራሽ እናከራያለን",
    "የፀጉር ውበት ሳሎን አገልግሎት በቤትዎ ድረስ እንመጣለን",
    "Samsung Galaxy A54 አዲስ ካርቶን ያልተከፈተ 38,000",
    "ጀማሪዎችን የሚያስተምር የመኪና መንጃ ፍቃድ ስልጠና በአጭር ጊዜ",
    "ጣፋጭ የቤት ውስጥ ምግቦችን እናዘጋጃለን፤ ለማዘዝ ከታች ያለውን ቁልፍ ይጫኑ",
    "መሀል ፒያሳ ላይ 60 ካሬ ሱቅ ለሽያጭ ቀርቧል",
    "ቶዮታ ያሪስ 2016 ዋጋ ድርድር አለው ኪ.ሜ 80,000",
    "የውጭ ሀገር የትምህርት እድል ለማግኘት የማማከር አገልግሎት እንሰጣለን",
    "አዳዲስ የወንዶች ጫማዎች ገብተዋል ሁሉም ሳይዝ አለ",
    "ቦሌ ቡልቡላ 500 ካሬ ካርታ ያለው ቦታ ይሸጣል ዋጋ በካሬ 70 ሺ",
]

#: Non-ads written at the same time as :data:`HELD_OUT_ADS`.
HELD_OUT_NON_ADS: list[str] = [
    "ትላንት ያየሁት ፊልም በጣም አሪፍ ነበር ሁላችሁም እዩት",
    "የቤንዚን ዋጋ በሊትር 101 ብር እንዲሆን መወሰኑ ተገልጿል",
    "ለምንድነው የቤት ኪራይ እንዲህ የሚወደደው? መንግስት ምን እየሰራ ነው",
    "ዛሬ ቡና ጠጥተን ስለ ስራ ተጨዋወትን",
    "የኮንዶሚኒየም ቤቶች ግንባታ 80 በመቶ መጠናቀቁን ቢሮው አስታውቋል",
    "ጀግኖች አትሌቶቻችን በዛሬው ውድድር ወርቅ አመጡ",
    "መኪናዬ ትላንት ተበላሸ ሜካኒክ የሚያውቅ ሰው አለ?",
    "በሚሊዮን የሚቆጠሩ ሰዎች በድርቅ ምክንያት ለረሃብ ተጋልጠዋል",
]
