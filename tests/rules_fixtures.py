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
