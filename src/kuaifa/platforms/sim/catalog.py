"""What the simulated shop sells and who buys: SKUs with merchant codes (one bundle, one pre-sale item, 48 h and
24 h shipping promises), delivery regions with PDD's own region ids, and the words buyers and merchants write."""

from __future__ import annotations

from dataclasses import dataclass

#: tags every order object lists, with value 0 or 1 (``order_tag_list``)
TAG_NAMES = ("ship_hold", "region_black_delay_shipping", "open_in_festival", "free_sf", "return_freight_payer")


@dataclass(frozen=True, slots=True)
class SimSku:
    """A sellable SKU. ``components`` (outer_id, quantity) makes it a bundle of other SKUs."""

    goods_id: int
    sku_id: int
    goods_name: str
    goods_spec: str
    outer_id: str
    outer_goods_id: str
    price_fen: int
    ship_hours: int = 48
    pre_sale_after_days: int | None = None  # ships on the start day + this many days, 23:59:59
    components: tuple[tuple[str, int], ...] = ()
    weight: int = 10  # relative popularity


CATALOG: tuple[SimSku, ...] = (
    SimSku(600001, 7000011, "纯棉短袖T恤", "白色,M", "TS-WHT-M", "TS", 3990, weight=20),
    SimSku(600001, 7000012, "纯棉短袖T恤", "白色,L", "TS-WHT-L", "TS", 3990, weight=18),
    SimSku(600001, 7000013, "纯棉短袖T恤", "黑色,L", "TS-BLK-L", "TS", 4290, weight=14),
    SimSku(600002, 7000021, "不锈钢保温杯", "500ml", "CUP-500", "CUP", 5900, ship_hours=24, weight=10),
    SimSku(600003, 7000031, "快充数据线", "1米", "CBL-1M", "CBL", 990, weight=16),
    SimSku(600003, 7000032, "快充数据线", "2米", "CBL-2M", "CBL", 1290, weight=10),
    SimSku(600004, 7000041, "抽纸", "3包装", "TIS-3", "TIS", 1990, ship_hours=24, weight=12),
    SimSku(600007, 7000071, "卡通贴纸", "10张", "STK-10", "STK", 115, weight=6),
    SimSku(
        600006,
        7000061,
        "纯棉T恤三件套",
        "混色,L",
        "BUNDLE-TS3",
        "TS3",
        9990,
        components=(("TS-WHT-L", 2), ("TS-BLK-L", 1)),
        weight=6,
    ),
    SimSku(
        600005, 7000051, "新款羽绒服（预售）", "黑色,XL", "DJ-BLK-XL", "DJ", 29900, pre_sale_after_days=10, weight=0
    ),
)


@dataclass(frozen=True, slots=True)
class Region:
    province: str
    province_id: int
    city: str
    city_id: int
    town: str
    town_id: int
    postage_fen: int = 0  # remote regions pay postage


REGIONS: tuple[Region, ...] = (
    Region("广东省", 6, "深圳市", 77, "南山区", 705),
    Region("广东省", 6, "广州市", 76, "天河区", 693),
    Region("浙江省", 31, "杭州市", 383, "西湖区", 3230),
    Region("江苏省", 16, "南京市", 220, "鼓楼区", 1878),
    Region("上海", 25, "上海市", 321, "浦东新区", 2703),
    Region("北京", 2, "北京市", 52, "朝阳区", 500),
    Region("四川省", 26, "成都市", 322, "武侯区", 2716),
    Region("湖北省", 13, "武汉市", 180, "洪山区", 1574),
    Region("新疆维吾尔自治区", 29, "乌鲁木齐市", 352, "天山区", 2933, postage_fen=1000),
    Region("西藏自治区", 28, "拉萨市", 343, "城关区", 2890, postage_fen=1500),
)
REGION_WEIGHTS = (14, 12, 12, 10, 12, 10, 9, 8, 2, 1)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英")
STREETS = ("建设路", "人民路", "解放大道", "中山路", "科技园路", "文一西路", "长江路", "和平街")
MEMOS = ("请发顺丰", "不要放快递柜", "加急，周五前要", "送人的，别放发票", "颜色发错了要换", "麻烦多给两个贴纸")
REMARKS = ("已联系买家确认尺码", "赠品已备", "优先发货", "买家要求改期")
RETURN_REASONS = ("尺码不合适", "质量问题", "不想要了", "发错货", "商品破损")
