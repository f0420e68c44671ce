"""The strings the field pages' JavaScript shows, translated on the server and embedded in the page
(json_script "field-strings"); {name} placeholders are filled in by GG.t()."""
from django.utils.translation import gettext as _


def js_strings():
    return {
        # position and grid
        "locating": _("正在定位…"),
        "accuracy": _("GPS 精度 ±{m} 米"),
        "pin_moved": _("已手动调整位置"),
        "drag_pin": _("拖动图钉调整位置"),
        "gps_unavailable": _("本机不支持定位，请在地图上点选位置"),
        "gps_denied": _("未获得定位权限，请在地图上点选位置"),
        "gps_failed": _("定位失败，请在地图上点选位置"),
        "grid_waiting": _("等待定位"),
        "outside_grids": _("不在任何网格内"),
        "grid_offline": _("离线：暂无法判定网格"),
        "grid_offline_hint": _("联网发送时由系统按位置判定所属网格"),
        "zoom_in": _("放大"),
        "zoom_out": _("缩小"),
        # category
        "choose_category": _("选择分类（可搜索）"),
        "no_category_match": _("没有匹配的分类，换个词试试"),
        "categories_unavailable": _("分类列表加载失败，请联网后刷新"),
        # photos
        "photos_max": _("最多 {n} 张照片"),
        "not_an_image": _("{name} 不是图片"),
        "photo_too_large": _("{name} 超过 {mb} MB"),
        "photo_n": _("第 {n} 张照片"),
        "remove_photo": _("删除这张照片"),
        "photo_count": _("{n} 张照片"),
        # duplicates
        "dup_title": _("附近 {m} 米内有 {n} 件同类问题，是同一问题吗？"),
        "dup_meta": _("相距 {m} 米 · {ago} · {grid}"),
        "dup_repeats": _("已被重复上报 {n} 次"),
        "dup_same": _("是同一问题"),
        "dup_chosen": _("已选：同一问题"),
        "dup_new": _("不是同一问题，作为新问题上报"),
        "dup_new_chosen": _("已选：作为新问题上报"),
        "dup_follow_up_note": _("本次将作为案卷 {number} 的补充上报，并提高其优先级。"),
        "dup_decide": _("请先确认是否与附近的案卷是同一问题"),
        # validation
        "need_position": _("还没有位置：请等待定位，或在地图上点选"),
        "need_category": _("请选择问题分类"),
        "need_photo": _("请至少拍一张现场照片"),
        "need_note": _("就地解决须填写处置说明"),
        "need_after_photo": _("就地解决须拍处置后照片"),
        # sending
        "submit": _("提交上报"),
        "sending": _("正在提交…"),
        "send_failed": _("提交失败，请稍后重试"),
        "done_title": _("上报成功"),
        "done_closed": _("上报成功，已就地解决结案"),
        "done_follow_up": _("已作为补充上报提交"),
        "case_number": _("案卷编号 {number}"),
        "queued_title": _("已保存，等待发送"),
        "queued_detail": _("当前网络不可用。上报已保存在手机上，联网后自动发送，不会重复。"),
        "queued_auth": _("登录已失效。请重新登录，之后会自动发送。"),
        # outbox
        "online": _("在线"),
        "offline": _("离线"),
        "outbox_sent": _("已发送 {n} 条待发送的上报"),
        "outbox_waiting": _("等待网络"),
        "outbox_waiting_retry": _("等待网络（已尝试 {n} 次）"),
        "outbox_sending": _("正在发送…"),
        "outbox_rejected": _("未被接收："),
        "outbox_auth": _("需要重新登录后发送"),
        "outbox_server": _("服务器暂时出错（{status}），稍后自动重试"),
        "outbox_other_user": _("属于账号 {user}，该账号登录后发送"),
        "still_offline": _("仍然没有网络，稍后自动重试"),
        "edit": _("修改"),
        "delete": _("删除"),
        "delete_confirm": _("删除这条未发送的上报？删除后无法恢复。"),
        # my cases
        "loading": _("正在加载…"),
        "cases_total": _("共 {n} 件"),
        "no_cases": _("还没有上报过案卷"),
        "cases_offline": _("离线：无法加载案卷列表"),
        "cached_copy": _("（离线，显示上次加载的内容）"),
        "follow_up_of": _("补充上报于 {number}"),
        "on_spot_done": _("就地解决"),
        # time
        "just_now": _("刚刚"),
        "minutes_ago": _("{n} 分钟前"),
        "hours_ago": _("{n} 小时前"),
        "days_ago": _("{n} 天前"),
    }
