"""Small lists of the most common words and passwords in Satchel's seven interface
languages, for the passphrase strength estimate (ui/strength.py).

They are deliberately short (a few hundred words per language, the function words and
everyday nouns, verbs and names that people reach for first): a word found here counts
as one of a few hundred choices. Every other word still counts as one of tens of
thousands, so no dictionary is needed for the estimate to be useful in any script. The
words are normalised with the search tokeniser before use (case, diacritics, Arabic and
Persian letter variants), so each spelling is listed once.
"""

from __future__ import annotations

ENGLISH = """
the be to of and a in that have i it for not on with he as you do at this but his by
from they we say her she or an will my one all would there their what so up out if
about who get which go me when make can like time no just him know take people into
year your good some could them see other than then now look only come its over think
also back after use two how our work first well way even new want because any these
give day most us is are was were am been has had did said love baby angel happy lucky
life home family friend freedom peace hope heart house money world water fire sun moon
star sky blue red green black white cat dog horse apple orange summer winter spring
god jesus christ mother father sister brother girl boy man woman child children king
queen princess prince dragon monkey tiger lion eagle football soccer hello welcome
secret password letmein admin master shadow sunshine flower rose music dance beautiful
strong power free open door key book school teacher student city country name very
big small little old young long great high right left day night morning evening today
tomorrow yesterday always never forever together best better more much many please
thank thanks sorry yes okay
"""

SPANISH = """
el la de que y a en un ser se no haber por con su para como estar tener le lo todo pero
más hacer o poder decir este ir otro ese si me ya ver porque dar cuando él muy sin vez
mucho saber qué sobre mi alguno mismo yo también hasta año dos querer entre así primero
desde grande eso ni nos llegar pasar tiempo ella sí día uno bien poco deber entonces
poner cosa tanto hombre parecer nuestro tan donde ahora parte después vida quedar
siempre creer hablar llevar dejar nada cada seguir menos nuevo encontrar amor casa
familia amigo amiga libertad paz esperanza corazón mundo agua fuego sol luna estrella
cielo azul rojo verde negro blanco gato perro caballo madre padre hermano hermana niño
niña mujer hijo hija dios jesús maría feliz hola bienvenido secreto contraseña clave
flor rosa música escuela ciudad país nombre noche mañana hoy gracias sí vamos fútbol
princesa dragón tigre león españa méxico colombia argentina te quiero
"""

FRENCH = """
le la les de un une et à être avoir il elle que en ne pas on ce dans qui se pour par
sur faire plus dire me mon ma mes je tu nous vous ils elles son sa ses lui au aux du
des pouvoir aller voir vouloir venir comme mais ou si leur y bien où sans tout toute
tous deux même prendre aussi donner autre après savoir temps très falloir devoir quand
encore grand petit jour homme femme enfant vie main monde oui non merci bonjour salut
amour maison famille ami amie liberté paix espoir coeur cœur eau feu soleil lune étoile
ciel bleu rouge vert noir blanc chat chien cheval mère père frère soeur sœur fils fille
dieu heureux bienvenue secret motdepasse mot passe fleur rose musique école ville pays
nom nuit matin soir aujourd hui demain toujours jamais ensemble france paris football
princesse dragon tigre lion chocolat doudou loulou bébé je t aime
"""

RUSSIAN = """
и в не на я быть он с что а по это она этот к но они мы как из у который то за свой
весь год от так о для ты же все тот мочь вы человек такой его сказать только или ещё
бы себя один как уже до время если сам когда другой вот говорить наш мой знать стать
при чтобы дело жизнь первый день тут во ничто потом очень со хотеть ни между два
какой где там любовь дом семья друг подруга свобода мир надежда сердце вода огонь
солнце луна звезда небо синий красный зелёный зеленый чёрный черный белый кошка кот
собака лошадь мама папа мать отец брат сестра сын дочь ребёнок ребенок женщина мужчина
бог иисус счастье привет здравствуй добро пожаловать секрет пароль ключ цветок роза
музыка школа город страна имя ночь утро вечер сегодня завтра всегда никогда вместе
россия москва футбол принцесса дракон тигр лев солнышко зайка котик люблю тебя спасибо да нет
"""

ARABIC = """
في من على إلى أن ما لا هذا هذه هو هي كان التي الذي مع عن ذلك كل بعد قد لم لن أو ثم
بين عند حتى إذا هل كما غير نحن أنا أنت أنتم هم يا الله محمد أحمد علي حسن حسين فاطمة
مريم عائشة حب الحب قلب القلب بيت البيت أسرة عائلة صديق صديقي حرية الحرية سلام السلام
أمل الأمل عالم العالم ماء نار شمس الشمس قمر القمر نجمة نجم سماء السماء أزرق أحمر أخضر
أسود أبيض قطة قط كلب حصان أم أمي أب أبي أخ أخي أخت أختي ابن ابنة طفل امرأة رجل سعيد
سعادة مرحبا أهلا وسهلا سر السر كلمة كلمة السر مفتاح وردة زهرة موسيقى مدرسة مدينة بلد
وطن اسم ليل ليلة صباح مساء اليوم غدا أمس دائما أبدا معا شكرا نعم لا مصر سوريا العراق
فلسطين كرة القدم أميرة أسد نمر حبيبي حبيبتي الحمد لله بسم إن شاء
"""

PERSIAN = """
و در به از که این را با است آن برای یک خود تا بر هم نیز شد کرد شده کند می بود او ما
من تو شما آنها هر اما یا دیگر باید هیچ چه کجا چرا خدا علی محمد حسین فاطمه زهرا مریم
عشق دل خانه خانواده دوست آزادی صلح امید جهان دنیا آب آتش خورشید ماه ستاره آسمان آبی
قرمز سبز سیاه سفید گربه سگ اسب مادر پدر برادر خواهر پسر دختر بچه زن مرد خوشبخت شاد
سلام خوش آمدید راز رمز گذرواژه کلید گل رز موسیقی مدرسه شهر کشور ایران تهران نام شب
صبح عصر امروز فردا دیروز همیشه هرگز باهم مرسی ممنون بله نه فوتبال شاهزاده شیر ببر
عزیزم جان دوستت دارم
"""

# Simplified Chinese: common two- and three-character words (the strength estimate cuts
# runs of Han characters into pieces of this length).
CHINESE = """
我们 你们 他们 她们 自己 什么 怎么 这个 那个 没有 可以 知道 时候 现在 就是 因为 所以 但是
如果 已经 还是 一个 一起 一定 非常 喜欢 爱情 我爱 爱你 你好 中国 北京 上海 学习 工作 朋友
老师 学生 学校 家庭 妈妈 爸爸 哥哥 姐姐 弟弟 妹妹 孩子 女人 男人 世界 生活 自由 和平 希望
幸福 快乐 开心 天空 太阳 月亮 星星 水火 蓝色 红色 绿色 黑色 白色 小猫 小狗 老虎 狮子 龙凤
密码 秘密 钥匙 开门 音乐 城市 国家 名字 晚上 早上 今天 明天 昨天 永远 一直 谢谢 对不起 没关系
你好吗 我爱你 中华 人民 共和国 大家 东西 问题 事情 地方 电话 电脑 手机 时间 今年 明年 生日
美丽 漂亮 宝贝 亲爱 天使 公主 足球 篮球 春天 夏天 秋天 冬天 花朵 玫瑰 心情 身体 健康 平安
"""

# Passwords that crack lists try first, in many languages (compared with the whole
# passphrase, separators removed).
PASSWORDS = """
password passw0rd password1 password123 123456 1234567 12345678 123456789 1234567890
qwerty qwertyuiop qwerty123 azerty asdfgh 1q2w3e4r zaq12wsx 111111 000000 123123 654321
iloveyou letmein welcome admin abc123 monkey dragon sunshine princess football baseball
secret satchel passphrase motdepasse contraseña пароль йцукен 密码 كلمةالسر رمزعبور
"""

ALL_WORDS = (ENGLISH, SPANISH, FRENCH, RUSSIAN, ARABIC, PERSIAN, CHINESE)
