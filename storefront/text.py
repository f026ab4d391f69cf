"""Every word the page shows, in English and Chinese, in one place: `LABELS`, its fixed labels (Gradio's own i18n
shows them in the browser's or the switch's language, `page/labels.py`), and `MESSAGES`, the texts the handlers
write (status lines, captions, details), which carry numbers and names and are formatted here for the language
the shopper chose."""
from __future__ import annotations

from search.ranking import KNOBS
from storefront.staff_text import STAFF_LABELS, STAFF_MESSAGES

LANGUAGES = {"English": "en", "中文": "zh-CN"}  # what the switch shows -> Gradio's locale code

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "# Visual product search\nUpload, snap, paste or link a photo to find the most similar products.",
        "page_shop": "Shop", "page_tuning": "Tuning", "page_insights": "Insights", "page_admin": "Admin",
        "shop": "Shop", "tuning": "Tuning", "admin": "Admin",
        "photo": "Your photo", "crop": "The part searched", "whole_photo": "Whole photo", "url": "…or an image address",
        "url_placeholder": "https://… and press Enter", "load": "Load",
        "text": "Describe it (optional)", "text_placeholder": "e.g. red leather handbag, or: like this but in blue",
        "search": "Search", "examples": "Or try one of these", "filters": "Filters",
        "more_ways": "Image address and example photos", "close": "Close", "details": "Product details", "other_variants": "Also in",
        "try_query": "#### A query to tune on\nA photo, a text or both: the results below follow every slider.",
        "brand": "Brand", "category": "Category", "colour": "Colour", "min_price": "Min price",
        "max_price": "Max price", "any": "0 = any", "in_stock": "In stock only",
        "recognised": "The photo looks like (click to filter)", "results_here": "Results appear here.",
        "results": "Most similar products", "more": "More like this",
        "recently_viewed": "Recently viewed", "inspired": "Inspired by what you viewed",
        "forget_history": "Forget my history",
        "preview": "Current results", "histogram": "#### Scores of the current results", "timings": "#### Time per stage of the last search",
        "curve": "#### What a threshold costs: precision and recall on sample queries drawn from the catalog",
        "password": "Admin password", "save_defaults": "Save as everyone's defaults",
        "stats": "Show store statistics", "feed": "Catalog feed (CSV, JSONL, Parquet, Shopify, "
                                                                   "Google Merchant XML)",
        "images_root": "Images folder on the server (default: the feed's folder)", "index": "Index the feed",
        "delete_ids": "Product ids to delete (one per line or comma separated)", "delete": "Delete",
        "preset": "Model preset", "switch": "Index with this preset and compare",
        "language": "Language",
        "find_items": "Find every product in this photo", "items_photo": "Products found in your photo",
        "search_item": "Search this item",
        "choose_photo": "Choose a photo", "camera": "Camera", "take_photo": "Take the photo", "cancel": "Cancel",
        "remove_photo": "Remove", "searching": "Searching…", "find_choice": "Find in the list",
        "no_camera": "The camera could not be opened ({reason}): choose a photo instead.",
        "no_answer": "The server did not answer: check the connection and try again.",
    },
    "zh-CN": {
        "title": "# 以图搜商品\n上传、拍摄、粘贴或链接一张照片，找到最相似的商品。",
        "page_shop": "商店", "page_tuning": "调优", "page_insights": "洞察", "page_admin": "管理",
        "shop": "购物", "tuning": "调优", "admin": "管理",
        "photo": "你的照片", "crop": "正在搜索的部分", "whole_photo": "整张照片", "url": "……或图片地址",
        "url_placeholder": "https://… 然后按回车", "load": "加载",
        "text": "文字描述（可选）", "text_placeholder": "例如：红色皮革手提包，或：像这个但是蓝色的",
        "search": "搜索", "examples": "或者试试这些", "filters": "筛选",
        "more_ways": "图片地址和示例照片", "close": "关闭", "details": "商品详情", "other_variants": "其他款式",
        "try_query": "#### 用来调优的查询\n照片、文字或两者：下面的结果随每个滑块变化。",
        "brand": "品牌", "category": "类别", "colour": "颜色", "min_price": "最低价格",
        "max_price": "最高价格", "any": "0 = 不限", "in_stock": "只看有货",
        "recognised": "照片中识别出（点击筛选）", "results_here": "结果会显示在这里。",
        "results": "最相似的商品", "more": "更多相似商品",
        "recently_viewed": "最近浏览", "inspired": "根据你的浏览推荐", "forget_history": "清除我的浏览记录",
        "preview": "当前结果", "histogram": "#### 当前结果的分数分布", "timings": "#### 上次搜索各阶段耗时",
        "curve": "#### 阈值的代价：目录样例查询的精确率与召回率",
        "password": "管理员密码", "save_defaults": "保存为所有人的默认设置",
        "stats": "显示存储统计", "feed": "商品目录文件（CSV、JSONL、Parquet、Shopify、Google Merchant XML）",
        "images_root": "服务器上的图片文件夹（默认：目录文件所在文件夹）", "index": "导入目录",
        "delete_ids": "要删除的商品编号（每行一个或用逗号分隔）", "delete": "删除",
        "preset": "模型预设", "switch": "用此预设建立索引并比较",
        "language": "语言",
        "find_items": "找出照片中的每件商品", "items_photo": "在你的照片中找到的商品",
        "search_item": "搜索这件商品",
        "choose_photo": "选择照片", "camera": "拍照", "take_photo": "拍下", "cancel": "取消",
        "remove_photo": "移除", "searching": "搜索中…", "find_choice": "在列表中查找",
        "no_camera": "无法打开相机（{reason}）：请改为选择照片。",
        "no_answer": "服务器没有响应：请检查网络后重试。",
    },
}

for _lang in LABELS:  # the product team's loop (storefront/staff_text.py)
    LABELS[_lang].update(STAFF_LABELS[_lang])

# Each ranking knob's label and help, as `knob_<name>` and `knob_<name>_info` (the words are the knob's own)
for _knob in KNOBS:
    for _lang, _words in (("en", 0), ("zh-CN", 1)):
        LABELS[_lang][f"knob_{_knob.name}"] = _knob.label[_words]
        if _knob.info:
            LABELS[_lang][f"knob_{_knob.name}_info"] = _knob.info[_words]

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "results": "{count} products",
        "one_result": "1 product",
        "none_above": "No product scores above the {threshold} match threshold: lower it{hint} to see more.",
        "hint_filter": " or remove a filter",
        "match": "match",
        "out_of_stock": "out of stock",
        "in_stock": "in stock",
        "more_like": "More like {id}: ",
        "view_page": "View the product page ↗",
        "why": "{score} match",
        "same_category": "same category ({value})",
        "same_colour": "same colour ({value})",
        "Brand": "Brand", "Category": "Category", "Price": "Price", "Stock": "Stock", "Id": "Id",
        "Colour": "Colour", "Color": "Colour", "Pattern": "Pattern", "Material": "Material", "Gender": "Gender",
        "words": "words: {words}",
        "variants": "also in {names}",
        "keywords_offline": "Text is searched by its words (title, brand, category, colour): this model reads no "
                            "text.",
        "keywords_script": "Searched by its words alone: this model cannot read that language; the "
                           "`multilingual` preset does.",
        "no_words": "No product's title, brand, category or colour holds these words.",
        "decode": "decode", "encode": "encode", "search": "search", "page": "page",
        "model_line": "Model: {label} · {weights}{arithmetic} · {count} products",
        "measured_gain": "{precision}, measured {gain:.1f}x float32", "fp32_fastest": "fp32, the fastest measured",
        "weights": "pretrained weights", "no_weights": "no pretrained weights",
        "crop_hint": "✂️ To search one item of the photo, click (or tap) two opposite corners of it.",
        "photo_drop": "Drop a photo here, or click to choose one",
        "crop_second": "✂️ Now click the opposite corner of the item.",
        "crop_done": "✂️ Searching the part you chose; **Whole photo** searches all of it again.",
        "filters_active": "Filters ({count} on)",
        "items": "{count} products found in the photo ({regions} regions compared); each row searches its item.",
        "one_item": "1 product found in the photo ({regions} regions compared); its row searches it.",
        "no_items": "No product stands out in this photo: search the whole photo, or mark one item with two clicks.",
        "item_row": "{number} · {title}",
        "propose": "regions",
        "deleted": "Deleted {deleted} of {asked} products", "not_there": " ({missing} not in the catalog)",
        "now_serving": "Now serving from this model.",
        "saved_defaults": "Saved as everyone's defaults in {path}: {knobs}",
        "indexed": "added {added}, updated {updated}, unchanged {unchanged}, removed {removed}, skipped {skipped}",
        "skipped_row": "skipped {row}", "more_skipped": "… and {count} more",
        "left_out_row": "indexed without a picture: {row}",
        "stat_store": "store", "stat_model": "model", "stat_products": "products", "stat_pictures": "pictures",
        "stat_brands": "brands",
        "stat_categories": "categories", "stat_colours": "colours", "stat_also_holds": "also holds",
        "stat_arithmetic": "arithmetic", "stat_last_check": "last check", "stat_last_backup": "last backup",
    },
    "zh-CN": {
        "results": "{count} 件商品",
        "one_result": "1 件商品",
        "none_above": "没有商品的匹配度高于 {threshold} 的阈值：请调低阈值{hint}以查看更多结果。",
        "hint_filter": "或移除筛选条件",
        "match": "匹配",
        "out_of_stock": "缺货",
        "in_stock": "有货",
        "more_like": "与 {id} 相似：",
        "view_page": "查看商品页面 ↗",
        "why": "匹配度 {score}",
        "same_category": "同类别（{value}）",
        "same_colour": "同颜色（{value}）",
        "Brand": "品牌", "Category": "类别", "Price": "价格", "Stock": "库存", "Id": "编号",
        "Colour": "颜色", "Color": "颜色", "Pattern": "图案", "Material": "材质", "Gender": "性别",
        "words": "关键词：{words}",
        "variants": "还有 {names}",
        "keywords_offline": "文字按关键词搜索（标题、品牌、类别、颜色）：当前模型不能理解文字。",
        "keywords_script": "仅按关键词搜索：当前模型读不懂这种语言，`multilingual` 预设可以。",
        "no_words": "没有商品的标题、品牌、类别或颜色包含这些词。",
        "decode": "解码", "encode": "编码", "search": "检索", "page": "页面",
        "model_line": "模型：{label} · {weights}{arithmetic} · {count} 件商品",
        "measured_gain": "{precision}，实测为 float32 的 {gain:.1f} 倍", "fp32_fastest": "fp32，实测最快",
        "weights": "预训练权重", "no_weights": "无预训练权重",
        "crop_hint": "✂️ 只想搜索照片中的一件商品？请点击（或轻点）它的两个对角。",
        "photo_drop": "将照片拖放到此处，或点击选择照片",
        "crop_second": "✂️ 现在请点击商品的另一个对角。",
        "crop_done": "✂️ 正在搜索你选中的部分；点击 **整张照片** 可重新搜索整张照片。",
        "filters_active": "筛选（已选 {count} 项）",
        "items": "在照片中找到 {count} 件商品（比较了 {regions} 个区域）；点击每一行可搜索该商品。",
        "one_item": "在照片中找到 1 件商品（比较了 {regions} 个区域）；点击该行可搜索它。",
        "no_items": "这张照片中没有突出的商品：请搜索整张照片，或用两次点击标出一件商品。",
        "item_row": "{number} · {title}",
        "propose": "区域",
        "deleted": "已删除 {asked} 件中的 {deleted} 件商品", "not_there": "（{missing} 件不在目录中）",
        "now_serving": "现在由这个模型提供搜索。",
        "saved_defaults": "已保存为所有人的默认设置（{path}）：{knobs}",
        "indexed": "新增 {added}，更新 {updated}，未变 {unchanged}，移除 {removed}，跳过 {skipped}",
        "skipped_row": "跳过 {row}", "more_skipped": "……还有 {count} 条",
        "left_out_row": "已收录但少了一张图片：{row}",
        "stat_store": "存储", "stat_model": "模型", "stat_products": "商品", "stat_pictures": "图片", "stat_brands": "品牌",
        "stat_categories": "类别", "stat_colours": "颜色", "stat_also_holds": "另存有",
        "stat_arithmetic": "运算精度", "stat_last_check": "上次检查", "stat_last_backup": "上次备份",
    },
}

for _lang in MESSAGES:
    MESSAGES[_lang].update(STAFF_MESSAGES[_lang])

def language(choice: object) -> str:
    """The locale code for the switch's value (or a code itself); English for anything unknown, of any type."""
    if not isinstance(choice, str):
        return "en"
    if choice in MESSAGES:
        return str(choice)
    return LANGUAGES.get(choice or "", "en")


def say(lang: str | None, key: str, **values: object) -> str:
    """The message `key` in the shopper's language, with `values` filled in."""
    table = MESSAGES[language(lang)]
    return table.get(key, MESSAGES["en"][key]).format(**values)
