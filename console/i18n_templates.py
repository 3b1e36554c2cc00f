"""Interface text of the Templates page (admins edit the wording of letters)."""

from __future__ import annotations

TEMPLATE_STRINGS: dict[str, tuple[str, str]] = {
    "templates": ("Letter templates", "信件模板"),
    "templates_help": ("Every mail and letter we send is written from one of these templates. "
                       "A change is checked by writing every sample letter with it; one that "
                       "fails is not saved. Each save is a new version; older versions can be "
                       "restored.",
                       "我们发出的每封邮件和信件都由这些模板生成。修改后会先用示例数据生成全部"
                       "示例信件，失败则不保存。每次保存都是一个新版本，旧版本可以恢复。"),
    "tpl_name": ("Template", "模板"),
    "tpl_kind": ("Kind", "类型"),
    "tpl_version": ("Version", "版本"),
    "tpl_saved": ("Saved", "保存"),
    "tpl_as_shipped": ("as shipped", "原始版本"),
    "kind_mail-text": ("mail, plain text", "邮件（纯文本）"),
    "kind_mail-html": ("mail, HTML", "邮件（HTML）"),
    "kind_letter": ("printed letter", "打印信件"),
    "kind_mail-subject": ("mail subject", "邮件主题"),
    "lang_zh+en": ("Chinese and English", "中英双语"),
    "lang_zh": ("Chinese", "中文"),
    "lang_en": ("English", "英文"),
    "tpl_edit": ("Edit", "编辑"),
    "tpl_save": ("Check and save", "检查并保存"),
    "tpl_preview": ("Preview without saving", "预览（不保存）"),
    "tpl_saved_ok": ("Saved: letters use this version from now on.",
                     "已保存：此后的信件使用该版本。"),
    "tpl_refused": ("Not saved: the template does not work.", "未保存：模板无法使用。"),
    "tpl_versions": ("Versions", "历史版本"),
    "tpl_restore": ("Use this version again", "恢复此版本"),
    "tpl_view": ("View", "查看"),
    "tpl_shipped_text": ("Shipped text (version 0)", "原始文本（第 0 版）"),
    "tpl_preview_mail": ("Preview: the mail", "预览：邮件"),
    "tpl_preview_letter": ("Preview: the printed letter", "预览：打印信件"),
    "tpl_draft_note": ("Preview of your unsaved text.", "以下是未保存文本的预览。"),
    "tpl_subject": ("Subject", "主题"),
    "tpl_letter_alt": ("The printed letter with sample values", "使用示例数据的打印信件"),
}
