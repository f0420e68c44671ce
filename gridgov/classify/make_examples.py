"""Write the classifier's training examples: data/examples.csv.

    .venv/bin/python -m gridgov.classify.make_examples

SYNTHETIC: these are not real 12345 tickets. What is hand-written: the problem phrasings (16 per
active subcategory, phrases_event.py / phrases_social.py / phrases_more.py, in a caller's words) and the whole
tickets in tickets.py. What is generated: each phrasing is wrapped several times in a call-taker's
framing (many framings, caller or call-taker voice) with a random address (路/号, 小区/栋/单元,
村/组), a caller's name, a time, a mood, a demand and sometimes a second issue from another
subcategory, so the model sees the same problem in different surroundings.

Every active subcategory of gridgov/cases/data/categories.csv gets ≥ 40 examples (checked here and
in tests/test_classifier.py). Deterministic (fixed seed): running it again writes the same file.

data/heldout.csv is the *dev* set (the old held-out file, written by the author of the first
lexicon after seeing it; contaminated, 25 subcategories). It is frozen, not regenerated here;
DEV_PHRASES lists its problem phrasings so the tests can keep them out of training.
"""
import csv
import random
from pathlib import Path

from .lexicon import LEXICON
from .phrases_event import EVENT
from .phrases_more import MORE
from .phrases_social import COMPONENT, SOCIAL
from .tickets import TICKETS

DATA = Path(__file__).resolve().parent / "data"
CATEGORIES = Path(__file__).resolve().parents[1] / "cases" / "data" / "categories.csv"
PHRASES = {code: phrases + MORE.get(code, []) for code, phrases in {**EVENT, **COMPONENT, **SOCIAL}.items()}
PER_CATEGORY = 60
LEXICON_PER_CATEGORY = 30
LEXICON_FORMS = ["{a}，{b}的问题", "反映{a}、{b}", "{a}的事，{b}", "关于{a}：{b}，{c}"]

# The dev set's problem phrasings (never used for training).
DEV_PHRASES = [
    "巷子里有人把垃圾袋直接扔在地上，越扔越多", "桥底下被倒了一车垃圾，味道很大", "公交站旁边丢满了垃圾没人打扫",
    "垃圾桶装不下了堆在外面，清运车好几天没来", "垃圾收集点爆满，一直没人来拉走", "路边果皮箱塞得满满的往外掉",
    "地里冒黑烟，有人在焚烧稻草", "有人用铁桶烧废旧电线和垃圾，气味难闻", "田埂边一直在烧东西，烟飘进了家里",
    "有人挨家挨户往门缝里塞小卡片，还在墙上乱贴", "变电箱上被贴满了贷款的小广告", "楼梯扶手和墙面上到处是办证刻章的喷字",
    "顶楼那家在天台上搭了个阳光房，明显是违建", "小区里有人在公共绿化带上砌墙圈地盖小屋", "路边有人连夜搭起了彩钢板房子",
    "夜里两三点还能听到工地切割钢筋的声音", "旁边楼盘通宵赶工，孩子根本没法睡觉", "周末一大早工地就开始挖掘作业，噪声特别大",
    "刮风的时候工地里的沙土全吹到小区里来了", "工地裸露的黄土没有苫盖，路过的人一身灰", "拆房子的时候灰尘滚滚，也不喷水",
    "十字路口有卖烤红薯的推车，挡住了过马路的人", "天桥底下一排地摊，把通道堵死了", "马路边上有人支了个摊子卖衣服",
    "一辆白色轿车横着停在路中间，挡住了救护车", "店门口的汽车停成两排，车道只剩一条", "有辆面包车停在别人车库门口，出不去了",
    "楼下那家每天晚上在街边烤羊肉串，烟都飘进屋里", "广场边上好几个炭烤摊子，呛得人咳嗽", "门口支着烤炉烤鱼，烟雾熏得衣服都是味",
    "地面凹下去一大块，底下好像是空的", "十字路口的路塌了个窟窿，好几米宽", "小区门口的水泥地裂开往下陷",
    "地面往外渗清水，好像是地下的供水管漏了", "路口地下冒水冒了一整天，浪费太严重", "施工挖断了自来水管，水淹了半条街",
    "一场雨下来路就成了河，电动车都骑不过去", "学校门口的路淹了，孩子们只能蹚水", "地下通道进水了，水已经到小腿",
    "楼下的污水井往外翻黑水，臭得不行", "一楼卫生间返水，是外面的排污管堵了", "路边阴沟堵住了，脏水淌了一地",
    "路边有个敞着口的井，盖板不知道去哪了", "晚上骑车差点掉进没盖的井里", "绿化带旁的检查井少了盖子",
    "这条街晚上黑灯瞎火的，灯一直没修", "桥上的照明灯有一半不亮", "巷子里的灯闪个不停，后来干脆灭了",
    "对门把鞋柜放在走廊里，我们提意见就吵架", "楼上小孩整天蹦跳，去敲门还被骂", "隔壁在我家墙边种树，根把墙顶裂了谈不拢",
    "干完活老板说没钱，工资一直拖着", "单位无故开除我，加班费也不给", "装修队的工人被欠了一万多块工钱",
    "交了物业费，楼道灯坏了半年都没人换", "物业私自涨价，业主都不同意", "小区门禁坏了物业推给开发商",
    "买的电动车骑了一周就坏，店家推卸责任", "美容院预付卡消费不让退", "饭店结账多收钱，老板不认账",
    "一楼大厅停满电动车，晚上还在充电", "楼梯间被杂物占满，着火了根本跑不出去", "仓库里堆着油漆稀料，还有人抽烟",
    "外卖吃完全家拉肚子，那家店卫生很差", "菜市场有人卖注水肉", "小作坊生产的豆腐没有任何标签",
    "想问问办居住证要准备哪些东西", "请问宅基地审批现在是什么规定", "想了解公积金提取的条件",
    "住院报销比例跟说的不一样", "社保卡丢了补办不了", "灵活就业人员的养老保险交不上",
    "冬天家里暖气片冰凉的，老人冻得受不了", "电压不稳，家里电器老跳闸", "天然气开户申请了一个月还没通",
]

# How a call-taker writes the ticket around the problem (caller's or call-taker's voice).
FRAMES = [
    "市民{name}来电反映：{place}{problem}，{mood}，{demand}。",
    "{time}，来电人称{place}{problem}。{mood}。诉求：{demand}。",
    "来电人反映{place}这边{problem}，已经持续{days}天了，{mood}，{demand}。",
    "{name}（{role}）来电：{problem}，地点在{place}，{mood}。",
    "市民来电称，{time}在{place}发现{problem}，{mood}，{demand}。",
    "热线工单：{place}，{problem}。来电人情绪{emotion}，{mood}。",
    "来电人住在{place}，{problem}。{extra}{demand}。",
    "{name}来电：我是{place}的{role}，{problem}，{mood}，{demand}。",
    "【{channel}】{place}：{problem}。{extra}来电人要求{demand}。",
    "来电人{name}反映，{time}起{place}{problem}，{extra}{mood}。",
    "喂，是12345吗？我这里是{place}，{problem}，{mood}，{demand}。",
    "来电人表示：{problem}。具体位置：{place}。{mood}，{demand}，请回复来电人。",
    "工单内容：{role}{name}称{place}{problem}，{extra}已向社区反映过，{mood}。",
    "{place}{role}来电，{time}，{problem}。{demand}。",
    "来电人称其{place}，{problem}，{extra}{demand}，如需联系请拨打来电号码。",
    "{time}，{name}致电热线，{problem}（{place}），{mood}。",
]
CHANNELS = ["12345热线", "市长热线", "网络问政", "微信公众号", "政务服务便民热线"]
TOWNS = ["城关镇", "城南街道", "东城街道", "河西镇", "新华街道", "桃源乡", "开发区", "北关街道", "石桥镇", "白沙镇"]
ROADS = ["人民路", "建设路", "解放路", "幸福路", "育才路", "滨河路", "纬三路", "文昌路", "和平街", "朝阳大道",
         "工业路", "迎宾大道", "民主街", "府前街", "长江路", "环城东路"]
ESTATES = ["锦绣花园", "阳光丽景", "金色家园", "幸福里小区", "翠湖苑", "御景湾", "铁路新村", "电力小区", "名门世家",
           "华府天地", "东方明珠小区", "桂花园", "水岸名都", "教师公寓"]
VILLAGES = ["桃园村", "红星村", "王家庄", "大刘村", "河口村", "杨树湾村", "双龙村", "新庄村", "高桥村", "马家坪村"]
SPOTS = ["农贸市场旁", "公园北门", "小学门口", "汽车站附近", "人民医院对面", "加油站旁边", "村委会附近", "广场东侧"]
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
TITLES = ["先生", "女士", "师傅", "大爷", "阿姨", "大姐"]
ROLES = ["附近居民", "业主", "商户", "村民", "路过市民", "租户", "家长", ""]
TIMES = ["今天上午", "昨天晚上", "本周一", "今天早上七点左右", "前天下午", "昨晚十一点多", "今天中午", "上周末",
         "这几天", "从上个月开始", "今天凌晨", "刚才"]
MOODS = ["来电人非常着急", "多次反映无果", "希望尽快处理", "来电人很不满意", "影响附近居民正常生活",
         "来电人说实在忍不了了", "来电人语气激动", "周围群众意见很大", "来电人担心出事", "已经不是第一次了",
         # Callers threaten to petition about any problem: not a 信访苗头 (S0301) ticket by itself.
         "来电人扬言再不解决就去上访", "来电人说这事再没人管就去市里反映", "来电人表示已经反映过好几次了",
         "来电人说要找领导", "来电人说要向媒体曝光"]
DEMANDS = ["请相关部门尽快处理", "希望尽快解决", "要求有关部门核实处理并回复", "希望派人来看一下",
           "要求给个说法", "请督促整改", "希望不要透露其个人信息", "请尽快安排人员到现场", "要求回电告知处理结果"]
EXTRAS = ["来电人称之前打过两次电话了，", "社区说不归他们管，", "来电人拍了照片可以提供，",
          "来电人说附近很多人都有意见，", "", "", "", ""]
EMOTIONS = ["激动", "平稳", "较为不满", "焦急"]


def active_codes(path=CATEGORIES):
    """The active subcategories (小类) of the category catalogue."""
    with open(path, encoding="utf-8", newline="") as f:
        return [r["code"] for r in csv.DictReader(f) if r["parent_code"] and r["is_active"] == "1"]


def _place(rnd):
    kind = rnd.random()
    if kind < 0.3:
        return f"{rnd.choice(TOWNS)}{rnd.choice(ROADS)}{rnd.randint(1, 399)}号"
    if kind < 0.6:
        return f"{rnd.choice(ESTATES)}{rnd.randint(1, 28)}栋{rnd.randint(1, 4)}单元"
    if kind < 0.8:
        return f"{rnd.choice(TOWNS)}{rnd.choice(VILLAGES)}{rnd.choice('一二三四五六七八')}组"
    return f"{rnd.choice(ROADS)}{rnd.choice(SPOTS)}"


def _ticket(rnd, code, problem, codes):
    extra = rnd.choice(EXTRAS)
    if rnd.random() < 0.15:  # a second, minor issue from another subcategory
        other = rnd.choice([c for c in codes if c != code])
        extra = f"另外顺便反映一下，{rnd.choice(PHRASES[other])}。" + extra
    if rnd.random() < 0.08:  # some tickets are just the caller's words
        return problem + "。"
    return rnd.choice(FRAMES).format(
        name=rnd.choice(SURNAMES) + rnd.choice(TITLES), role=rnd.choice(ROLES), place=_place(rnd),
        time=rnd.choice(TIMES), mood=rnd.choice(MOODS), demand=rnd.choice(DEMANDS), extra=extra,
        days=rnd.randint(2, 15), emotion=rnd.choice(EMOTIONS), channel=rnd.choice(CHANNELS), problem=problem)


def generate(seed=12345, per_category=PER_CATEGORY):
    """[(text, code, group)]: group names the hand-written phrasing or ticket the row comes from
    (for grouped cross-validation: rows from one phrasing never sit on both sides of a split)."""
    rnd = random.Random(seed)
    codes = active_codes()
    missing = [c for c in codes if c not in PHRASES]
    assert not missing, f"no phrasings for {missing}"
    rows, seen = [], set()
    for code in codes:
        phrases = PHRASES[code]
        for i in range(per_category):
            j = i % len(phrases)
            for _ in range(5):  # a duplicate text is redrawn
                text = _ticket(rnd, code, phrases[j], codes)
                if text not in seen:
                    break
            if text in seen:
                continue
            seen.add(text)
            rows.append((text, code, f"{code}-p{j}"))
        words = LEXICON[code]
        for i in range(LEXICON_PER_CATEGORY):
            a, b, c = rnd.sample(words, 3)
            text = _ticket(rnd, code, rnd.choice(LEXICON_FORMS).format(a=a, b=b, c=c), codes)
            if text not in seen:
                seen.add(text)
                rows.append((text, code, "lexicon"))
    for i, (code, text) in enumerate(TICKETS):
        if code in codes and text not in seen:
            seen.add(text)
            rows.append((text, code, f"{code}-t{i}"))
    return sorted(rows)


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "category_code"])
        w.writerows((text, code) for text, code, *_ in rows)


def main():
    rows = generate()
    write(DATA / "examples.csv", rows)
    print(f"examples.csv: {len(rows)} rows, {len({r[1] for r in rows})} categories")


if __name__ == "__main__":
    main()
