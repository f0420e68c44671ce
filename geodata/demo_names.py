"""Chinese names for the demo's communities, villages and grids, generated from syllable lists.

The names are made up (deterministically, from the seed): the demo's layout below the
street/town level is synthetic, so it must not pretend that a real village lies where the
generator happened to put it. They are built the way place names in the Jinhu area are: a
family name or a descriptive syllable plus a water-country toponym suffix (庄, 圩, 集, 墩, 坝...).
"""

VILLAGE_FIRST = (
    "王 刘 陈 张 李 周 吴 黄 徐 孙 朱 马 胡 郭 何 高 林 罗 郑 梁 宋 谢 唐 许 韩 冯 邓 曹 彭 曾 "
    "董 袁 潘 蒋 蔡 余 杜 叶 程 魏 苏 吕 丁 沈 任 姚 卢 姜 崔 钟 谭 陆 范 汪 廖 石 金 贾 夏 付 "
    "方 邹 熊 白 孟 秦 邱 侯 江 尹 薛 闵 卞 戴 万 邬 应 洪 官 衡 龙 荷 柳 杨 桑 蒲 芦 菱 藕 "
    "东 西 南 北 前 后 大 小 新 老 上 下 中 双 三 五 八 十 永 丰 利 民 兴 安 宁 福 寿 华 平"
).split()
VILLAGE_SUFFIX = "庄 圩 集 桥 墩 坝 港 河 塘 湾 沟 荡 岗 营 舍 楼 闸 渡 口 滩 套 涧 洼 垛 埝 堆 庙 店 坊 湖".split()
COMMUNITY_FIRST = "新 东 西 南 北 金 银 荷 湖 河 城 民 利 康 华 宁 安 平 兴 福 景 衡 工 建 文 育 振 和 尧 淮 柳 桂".split()
COMMUNITY_SECOND = "城 苑 港 华 安 宁 园 河 湖 兴 丰 福 桥 湾 阳 坊 街 源 泰 乐 康 苑 庭 岸 林 汇".split()
CHINESE_NUMERALS = "一 二 三 四 五 六 七 八 九 十".split()


class NameGenerator:
    """Unique names across the whole county for one seed."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def _pick(self, make):
        for _ in range(2000):
            name = make()
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("name lists exhausted")

    def village(self):
        def make():
            first = self.rng.choice(VILLAGE_FIRST)
            suffix = self.rng.choice(VILLAGE_SUFFIX)
            if self.rng.random() < 0.25:  # 华家坝村, 陈家庄村
                return f"{first}家{suffix}村"
            return f"{first}{suffix}村"
        return self._pick(make)

    def community(self):
        def make():
            a, b = self.rng.choice(COMMUNITY_FIRST), self.rng.choice(COMMUNITY_SECOND)
            while a == b:
                b = self.rng.choice(COMMUNITY_SECOND)
            return f"{a}{b}社区"
        return self._pick(make)

    def farm_section(self, farm_short, n):
        name = f"{farm_short}{numeral(n)}分场"
        self.used.add(name)
        return name


def numeral(n):
    """1 → 一, 12 → 十二, 20 → 二十 (enough for the demo's counts)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CHINESE_NUMERALS[tens - 1]
    return head + "十" + (CHINESE_NUMERALS[ones - 1] if ones else "")


def grid_name(community_name, n):
    return f"{community_name}第{n}网格"
