"""The words the handlers write into the page (status lines, captions, details), in English and Chinese.
The page's fixed labels are translated by Gradio's own i18n (`page/labels.py`); these are the texts that
carry numbers and names, so they are formatted here for the language the shopper chose."""
from __future__ import annotations

LANGUAGES = {"English": "en", "中文": "zh-CN"}  # what the switch shows -> Gradio's locale code

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
        "pick_first": "click a product first, then ask for more like it",
        "gone": "product {id} is no longer in the catalog",
        "view_page": "View the product page ↗",
        "why": "{score} match",
        "same_category": "same category ({value})",
        "same_colour": "same colour ({value})",
        "Brand": "Brand", "Category": "Category", "Price": "Price", "Stock": "Stock", "Id": "Id",
        "Colour": "Colour", "Color": "Colour", "Pattern": "Pattern", "Material": "Material", "Gender": "Gender",
        "words": "words: {words}",
        "keywords_offline": "Text is searched by its words (title, brand, category, colour): this model reads no "
                            "text.",
        "keywords_script": "Searched by its words alone: this model cannot read that language; the "
                           "`multilingual` preset does.",
        "no_words": "No product's title, brand, category or colour holds these words.",
        "decode": "decode", "encode": "encode", "search": "search", "page": "page",
        "model_line": "Model: {label} · {weights}{arithmetic} · {count} products",
        "weights": "pretrained weights", "no_weights": "no pretrained weights",
        "crop_hint": "✂️ To search one item of the photo, click two opposite corners of it.",
        "crop_second": "✂️ Now click the opposite corner of the item.",
        "crop_done": "✂️ Searching the part you chose; **Whole photo** searches all of it again.",
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
        "pick_first": "请先点击一件商品，再查看相似商品",
        "gone": "商品 {id} 已不在目录中",
        "view_page": "查看商品页面 ↗",
        "why": "匹配度 {score}",
        "same_category": "同类别（{value}）",
        "same_colour": "同颜色（{value}）",
        "Brand": "品牌", "Category": "类别", "Price": "价格", "Stock": "库存", "Id": "编号",
        "Colour": "颜色", "Color": "颜色", "Pattern": "图案", "Material": "材质", "Gender": "性别",
        "words": "关键词：{words}",
        "keywords_offline": "文字按关键词搜索（标题、品牌、类别、颜色）：当前模型不能理解文字。",
        "keywords_script": "仅按关键词搜索：当前模型读不懂这种语言，`multilingual` 预设可以。",
        "no_words": "没有商品的标题、品牌、类别或颜色包含这些词。",
        "decode": "解码", "encode": "编码", "search": "检索", "page": "页面",
        "model_line": "模型：{label} · {weights}{arithmetic} · {count} 件商品",
        "weights": "预训练权重", "no_weights": "无预训练权重",
        "crop_hint": "✂️ 只想搜索照片中的一件商品？请点击它的两个对角。",
        "crop_second": "✂️ 现在请点击商品的另一个对角。",
        "crop_done": "✂️ 正在搜索你选中的部分；点击 **整张照片** 可重新搜索整张照片。",
    },
}


def language(choice: str | None) -> str:
    """The locale code for the switch's value (or a code itself); English for anything unknown."""
    if choice in MESSAGES:
        return str(choice)
    return LANGUAGES.get(choice or "", "en")


def say(lang: str | None, key: str, **values: object) -> str:
    """The message `key` in the shopper's language, with `values` filled in."""
    table = MESSAGES[language(lang)]
    return table.get(key, MESSAGES["en"][key]).format(**values)
